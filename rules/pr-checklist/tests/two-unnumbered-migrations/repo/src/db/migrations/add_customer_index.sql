CREATE INDEX invoices_customer ON invoices (customer_id);
