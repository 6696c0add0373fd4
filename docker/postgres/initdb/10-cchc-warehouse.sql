-- The warehouse database for BI, beside Airflow's metadata database.
--
-- Mounted into /docker-entrypoint-initdb.d of the postgres service: the image runs it
-- once, when the data volume is empty, as POSTGRES_USER connected to POSTGRES_DB.
-- Passwords come from the container's environment through psql's \getenv (psql 15+),
-- never from this file; changing them in .env later does not change the roles
-- (use ALTER ROLE ... PASSWORD, or recreate the volume).
--
--   cchc         owns database cchc; loaders and `dbt build --target postgres` write as it
--   cchc_reader  BI and analysts: may connect to cchc and read every table and view that
--                cchc creates, now or later; every transaction is read-only
\set ON_ERROR_STOP on

\getenv cchc_password CCHC_POSTGRES_PASSWORD
\getenv reader_password CCHC_READER_PASSWORD
\getenv airflow_db POSTGRES_DB

\if :{?cchc_password}
\else
do $$ begin raise exception 'CCHC_POSTGRES_PASSWORD is not set in the postgres service'; end $$;
\endif
\if :{?reader_password}
\else
do $$ begin raise exception 'CCHC_READER_PASSWORD is not set in the postgres service'; end $$;
\endif
\if :{?airflow_db}
\else
do $$ begin raise exception 'POSTGRES_DB is not set in the postgres service'; end $$;
\endif

create role cchc with login password :'cchc_password';
create role cchc_reader with login nosuperuser nocreatedb nocreaterole noreplication
    password :'reader_password';
alter role cchc_reader set default_transaction_read_only = on;

create database cchc with owner cchc encoding 'UTF8' template template0;

-- Only the warehouse roles reach the warehouse; the reader never reaches Airflow's database.
revoke all on database cchc from public;
grant connect on database cchc to cchc_reader;
revoke all on database :"airflow_db" from public;

\connect cchc

revoke create on schema public from public;
grant usage on schema public to cchc_reader;
-- Schemas and tables that cchc creates later (raw, staging, marts, ...) are readable too.
alter default privileges for role cchc grant usage on schemas to cchc_reader;
alter default privileges for role cchc grant select on tables to cchc_reader;
