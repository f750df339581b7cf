CREATE TABLE customers (
  id text PRIMARY KEY,
  name text NOT NULL
);
