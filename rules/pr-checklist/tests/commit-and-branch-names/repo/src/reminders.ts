export const reminders = [];
