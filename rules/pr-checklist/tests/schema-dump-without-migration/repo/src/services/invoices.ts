import { db } from "../db";

export const overdue = () => db.query("SELECT * FROM invoices WHERE due_date < now()");
