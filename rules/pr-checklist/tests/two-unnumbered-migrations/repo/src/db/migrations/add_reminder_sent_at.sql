ALTER TABLE invoices ADD COLUMN reminder_sent_at timestamptz;
