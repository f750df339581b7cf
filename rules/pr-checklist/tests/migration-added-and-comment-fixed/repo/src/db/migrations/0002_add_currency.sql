-- Adds the currency colum; existing invoices are in euros.
ALTER TABLE invoices ADD COLUMN currency char(3) NOT NULL DEFAULT 'EUR';
