CREATE TABLE invoices (id text PRIMARY KEY);
