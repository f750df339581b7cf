CREATE TABLE reminders (
  id serial PRIMARY KEY,
  invoice_id text NOT NULL REFERENCES invoices (id),
  sent_at timestamptz
);
