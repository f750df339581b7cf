-- The schema as the migrations leave it: `npm run db:dump` (pg_dump --schema-only) after migrating.

CREATE TABLE public.invoices (
    id text NOT NULL,
    customer_id text NOT NULL,
    total_cents integer NOT NULL,
    due_date date NOT NULL,
    currency character(3) DEFAULT 'EUR'::bpchar NOT NULL
);

ALTER TABLE ONLY public.invoices
    ADD CONSTRAINT invoices_pkey PRIMARY KEY (id);
