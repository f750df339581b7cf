CREATE TABLE invoices (
  id text PRIMARY KEY,
  customer_id text NOT NULL,
  total_cents integer NOT NULL,
  due_date date NOT NULL
);
