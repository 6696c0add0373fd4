"""Warehouse connections and the raw tables that both loaders write.

DuckDB is the embedded default (one writer at a time); Postgres is the server
target for BI. Raw tables are written only through `transaction()` so a load is
all-or-nothing.

The raw tables live in a DuckDB file of their own (`Settings.raw_warehouse`), attached
to every warehouse connection as catalog `raw`: `raw.export_dossiers` means the same as
it did when raw was a schema of the warehouse file, and the warehouse file holds only
what dbt builds, so publishing copies it instead of rewriting every table.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

from ingest.settings import default_raw_warehouse

# The catalog the raw file is attached as (its tables are in its `main` schema); also the
# schema name where raw lives without a raw file (in-memory connections, Postgres, Spark).
RAW_SCHEMA = "raw"

# One statement per raw table. Column order is the contract with dbt's sources.
RAW_DDL: dict[str, str] = {
    "report_documents": """
        report_id          varchar primary key,  -- sha256 of the report file's bytes
        source_file        varchar not null,
        province           varchar not null,
        report_number      varchar,
        issued_date        date,
        report_year        integer not null,
        period_start       date,
        period_end         date,
        title              varchar,
        legal_references   varchar,              -- JSON list of cited documents
        line_count         integer not null,
        loaded_at          timestamp not null
    """,
    "report_figures": """
        report_id          varchar not null,
        figure_seq         integer not null,
        metric             varchar not null,
        value              double,
        value_text         varchar,              -- report_number, report_issued_date
        unit               varchar not null,
        qualifiers         varchar not null,     -- JSON object, only the keys that apply
        q_level            varchar,
        q_sector           varchar,
        q_scope            varchar,
        q_unit             varchar,
        q_service_level    varchar,              -- 3 | 4 | full | partial | basic (was integer)
        q_group            varchar,
        q_rating           varchar,
        q_kind             varchar,
        q_period           varchar,
        denominator        double,
        decimals           integer,              -- decimal places as printed (rounding)
        line               integer not null,
        source_text        varchar not null,
        q_province         varchar,              -- another province the figure is about
        q_ministry         varchar,              -- a ministry the figure is about
        q_stat             varchar,              -- average | min | max over provinces/ministries
        primary key (report_id, figure_seq)
    """,
    "report_changes": """
        report_id          varchar not null,
        change_seq         integer not null,
        metric             varchar not null,
        qualifiers         varchar not null,     -- JSON object, as the figure's
        value              double not null,      -- the figure this year
        delta              double not null,      -- signed change against the previous year
        ratio              double,               -- "gap K lan"
        ratio_bound        varchar,              -- more | nearly | null (exact)
        line               integer not null,
        source_text        varchar not null,
        primary key (report_id, change_seq)
    """,
    "report_mentions": """
        report_id          varchar not null,
        mention_seq        integer not null,
        value              double not null,
        unit               varchar,
        raw_text           varchar not null,
        line               integer not null,
        sentence           varchar not null,
        section            varchar,
        metric             varchar,              -- null when no catalog figure uses it
        primary key (report_id, mention_seq)
    """,
    "export_dossiers": """
        file_sha256        varchar not null,
        source_file        varchar not null,
        source_row         integer not null,     -- 1-based data row in the file
        partition_agency   varchar not null,
        partition_month    varchar not null,     -- yyyy-mm
        dossier_code       varchar not null,
        agency_code        varchar,
        agency_name        varchar,
        procedure_code     varchar,
        procedure_name     varchar,
        field_code         varchar,
        field_name         varchar,
        channel            integer,              -- 1 in person, 2 online, 3 postal
        status             integer,              -- national portal codes 1..10
        received_at        timestamp not null,
        due_at             timestamp,
        finished_at        timestamp,
        returned_at        timestamp,
        is_paid_online     boolean,
        fee_amount         double,
        extra_columns      varchar,              -- JSON of unmapped source columns
        service_level      integer,              -- MucDo: 2 information, 3 partly, 4 fully online
        source_sheet       varchar,              -- XLSX sheet name; null for CSV
        dossier_code_key   bigint                -- 63 bits of md5(dossier_code): duplicates
                                                 -- across files are found on this narrow key
        -- (file_sha256, source_row) is unique by construction (the loader writes a file's
        -- rows once, numbered) and tested by dbt; no index: at millions of rows, keeping
        -- one doubled the insert time and took memory the loads do not have
    """,
    "export_aggregates": """
        file_sha256        varchar not null,
        source_file        varchar not null,
        source_row         integer not null,     -- 1-based row in the file (sheet-qualified for XLSX)
        partition_agency   varchar not null,
        partition_period   varchar not null,     -- yyyy-mm (monthly form) or yyyy-Qn (quarterly)
        period_start       date not null,
        period_end         date not null,
        field_code         varchar,
        field_name         varchar,
        received_total                bigint,
        received_online               bigint,
        received_in_person_or_post    bigint,
        received_carried_over         bigint,
        resolved_total                bigint,
        resolved_early                bigint,
        resolved_on_time              bigint,
        resolved_overdue              bigint,
        pending_total                 bigint,
        pending_within_deadline       bigint,
        pending_overdue               bigint,
        extra_columns      varchar,
        source_sheet       varchar,              -- XLSX sheet name (one table per sheet); null for CSV
        primary key (file_sha256, source_row)
    """,
    "export_quarantine": """
        file_sha256        varchar not null,
        source_file        varchar not null,
        source_row         integer not null,
        raw_values         varchar not null,     -- JSON of the row as read
        reason             varchar not null,
        source_sheet       varchar,              -- XLSX sheet name; null for CSV
        primary key (file_sha256, source_row)
    """,
    "load_manifest": """
        file_sha256        varchar primary key,
        source_file        varchar not null,
        source_kind        varchar not null,     -- report | dossiers | aggregates
        partitions         varchar not null,     -- JSON list of partition keys
        rows_read          integer not null,
        rows_loaded        integer not null,
        rows_quarantined   integer not null,
        loaded_at          timestamp not null,
        shape              varchar,              -- exports: dossiers | aggregate
        rows_blank         integer,              -- exports: blank rows, empty lines (not in rows_read)
        rows_total         integer,              -- exports: total rows skipped (not in rows_read)
        total_row_check    varchar,              -- aggregates: JSON per sheet, total row vs sums
        duplicates_across_files integer,         -- dossiers: codes other files already loaded
        sample_fraction    double                -- exports declared a sample of this fraction; null: full
    """,
}


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class WarehouseLocked(duckdb.IOException):
    """Another process writes the warehouse file (DuckDB allows one writer)."""


def connect(path: Path | str, read_only: bool = False, *, lock_timeout: float = 0,
            on_wait: Callable[[str], None] | None = None,
            config: dict[str, str] | None = None,
            raw: Path | str | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse with the raw file attached as catalog `raw`; when writable,
    creates both files and the raw tables (and moves raw out of a warehouse file made
    when raw was a schema inside it).

    A writable open waits up to `lock_timeout` seconds while another process holds the
    file, calling `on_wait` once with what it waits for; then raises WarehouseLocked.
    `config`: DuckDB settings to open with (`Settings.duckdb_config`: the memory cap and
    the spill folder, which is created). `raw`: the raw file (`Settings.raw_warehouse`);
    default `<name>_raw.duckdb` beside the warehouse file.
    """
    config = dict(config or {})
    if config.get("temp_directory"):
        Path(config["temp_directory"]).mkdir(parents=True, exist_ok=True)
    path = Path(path)
    raw = Path(raw) if raw is not None else default_raw_warehouse(path)
    if read_only:
        if not path.exists():
            raise FileNotFoundError(
                f"{path} does not exist yet: run `make run` (or `cchc run`) to build it"
            )
        con = duckdb.connect(str(path), read_only=True, config=config)
        if raw.exists() and not _has_raw_schema(con):  # else: a warehouse from before the raw file
            con.execute(f"attach if not exists {quote_literal(str(raw.resolve()))} "
                        f"as {RAW_SCHEMA} (read_only)")
        return con
    path.parent.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + lock_timeout
    while True:
        try:
            con = duckdb.connect(str(path), config=config)
            break
        except duckdb.IOException as exc:
            if "lock" not in str(exc).lower():
                raise
            holder = re.search(r"\(PID \d+\)", str(exc))
            who = f"another process {holder.group()}" if holder else "another process"
            if time.monotonic() >= deadline:
                raise WarehouseLocked(
                    f"{path} is being written by {who}; gave up after {lock_timeout:.0f} s. "
                    "Run again when that load has finished (or set CCHC_LOCK_TIMEOUT_SECONDS)."
                ) from exc
            if on_wait:
                on_wait(f"waiting for {who} to finish writing {path} "
                        f"(up to {lock_timeout:.0f} s)")
                on_wait = None
            time.sleep(min(1.0, max(0.0, deadline - time.monotonic())))
    try:
        _move_raw_out(con, raw)
        con.execute(f"attach if not exists {quote_literal(str(raw.resolve()))} as {RAW_SCHEMA}")
        ensure_raw_schema(con)
    except BaseException:
        con.close()
        raise
    return con


def _has_raw_schema(con: duckdb.DuckDBPyConnection) -> bool:
    """Does the connection's own file hold a `raw` schema (raw from before its own file)?"""
    return con.execute(
        "select count(*) from duckdb_schemas() where database_name = current_database() "
        "and schema_name = ?", [RAW_SCHEMA]).fetchone()[0] > 0


def _move_raw_out(con: duckdb.DuckDBPyConnection, raw: Path) -> None:
    """Move the raw schema of a warehouse file made before the raw file existed into that
    file, once. The copy is built under a temporary name and renamed into place only after
    the old schema is dropped, so an interrupted move starts again or completes on the next
    connect, and never leaves raw in both places (`raw.x` would be ambiguous)."""
    moving = raw.with_name(f".{raw.name}.moving")
    if not _has_raw_schema(con):
        if moving.exists() and not raw.exists():  # interrupted after the old schema was dropped
            os.replace(moving, raw)
        return
    if raw.exists():
        raise RuntimeError(
            f"both {raw} and the raw schema inside {con.execute('select current_database()').fetchone()[0]} "
            f"hold raw tables (the warehouse was written by an older version after the move): "
            f"keep one (move {raw} aside to keep the schema's tables)")
    moving.unlink(missing_ok=True)
    warehouse = con.execute("select current_database()").fetchone()[0]
    tables = [table for (table,) in con.execute(
        "select table_name from duckdb_tables() where database_name = ? and schema_name = ? "
        "order by table_name", [warehouse, RAW_SCHEMA]).fetchall()]
    con.execute(f"attach {quote_literal(str(moving.resolve()))} as raw_moving")
    with transaction(con):
        for table in tables:
            if table in RAW_DDL:  # today's definition: keys as now, added columns
                con.execute(f"create table raw_moving.main.{table} ({RAW_DDL[table]})")
                con.execute(f'insert into raw_moving.main.{table} by name '
                            f'select * from "{warehouse}".{RAW_SCHEMA}.{table}')
            else:
                con.execute(f'create table raw_moving.main.{table} as '
                            f'select * from "{warehouse}".{RAW_SCHEMA}.{table}')
    con.execute("detach raw_moving")
    con.execute(f"drop schema {RAW_SCHEMA} cascade")
    con.execute("checkpoint")
    os.replace(moving, raw)


# Columns added to raw tables after their first release: a warehouse file made before gets
# them on its next connect. Added columns come last in RAW_DDL, so a migrated table has the
# same column order as a new one (copy_raw_to_postgres and the lake copy `select *`).
ADDED_COLUMNS: dict[str, list[str]] = {
    "report_figures": ["q_province varchar", "q_ministry varchar", "q_stat varchar"],
    "export_dossiers": ["service_level integer", "source_sheet varchar", "dossier_code_key bigint"],
    "export_aggregates": ["source_sheet varchar"],
    "export_quarantine": ["source_sheet varchar"],
    "load_manifest": ["shape varchar", "rows_blank integer", "rows_total integer",
                      "total_row_check varchar", "duplicates_across_files integer",
                      "sample_fraction double"],
}
# (table, column) -> new type: service levels are codes now ("3", "4", "full", "partial",
# "basic"), no longer numbers; the old integers convert to their text ("3", "4").
RETYPED_COLUMNS: dict[tuple[str, str], str] = {
    ("report_figures", "q_service_level"): "varchar",
}


# Tables whose primary key was dropped after their first release (DuckDB cannot drop a
# constraint in place: a warehouse file made before gets the table rebuilt once).
DROPPED_KEYS = ("export_dossiers",)


def _column_specs(table: str) -> list[tuple[str, str]]:
    """(name, type) of each column of a raw table, in RAW_DDL's order."""
    specs = []
    for line in RAW_DDL[table].splitlines():
        definition = line.split("--")[0].strip().rstrip(",")
        if definition and not definition.lower().startswith(("primary key", "unique")):
            name, data_type = definition.split()[:2]
            specs.append((name, data_type.lower()))
    return specs


def raw_columns(table: str) -> list[str]:
    """The columns of a raw table, in order: the loaders' insert lists."""
    return [name for name, _ in _column_specs(table)]


def raw_column_types(table: str) -> list[str]:
    """The types of a raw table's columns, in order (varchar, integer, timestamp, ...)."""
    return [data_type for _, data_type in _column_specs(table)]


def quote_literal(text: str) -> str:
    """A SQL string literal (DuckDB and Postgres): for statements that take no parameters
    (COMMENT ON, COPY ... TO, table functions' paths)."""
    return "'" + text.replace("'", "''") + "'"


def ensure_raw_schema(con: duckdb.DuckDBPyConnection) -> None:
    """Create the raw tables (and bring older ones up to RAW_DDL): in the attached raw
    file when there is one, else as schema `raw` of the connection's own database."""
    catalog, schema = raw_location(con)
    prefix = f'"{catalog}".{schema}'
    if schema == RAW_SCHEMA:
        con.execute(f"create schema if not exists {RAW_SCHEMA}")
    for table, columns in RAW_DDL.items():
        con.execute(f"create table if not exists {prefix}.{table} ({columns})")
    _migrate_raw_columns(con, catalog, schema)
    _drop_old_keys(con, catalog, schema)


def raw_location(con: duckdb.DuckDBPyConnection) -> tuple[str, str]:
    """(catalog, schema) of the raw tables, unquoted: the attached raw file's `main`, or
    the connection's own database's `raw` schema."""
    attached = con.execute("select count(*) from duckdb_databases() where database_name = ?",
                           [RAW_SCHEMA]).fetchone()[0]
    if attached:
        return RAW_SCHEMA, "main"
    return con.execute("select current_database()").fetchone()[0], RAW_SCHEMA


def _drop_old_keys(con: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> None:
    prefix = f'"{catalog}".{schema}'
    keyed = {table for (table,) in con.execute(
        "select table_name from duckdb_constraints() where schema_name = ? "
        "and database_name = ? and constraint_type = 'PRIMARY KEY'",
        [schema, catalog]).fetchall()}
    for table in DROPPED_KEYS:
        if table not in keyed:
            continue
        with transaction(con):
            con.execute(f"alter table {prefix}.{table} rename to {table}_keyed")
            con.execute(f"create table {prefix}.{table} ({RAW_DDL[table]})")
            con.execute(f"insert into {prefix}.{table} by name "
                        f"select * from {prefix}.{table}_keyed")
            con.execute(f"drop table {prefix}.{table}_keyed")


def _migrate_raw_columns(con: duckdb.DuckDBPyConnection, catalog: str, schema: str) -> None:
    """Add the columns in ADDED_COLUMNS and retype those in RETYPED_COLUMNS, where needed."""
    prefix = f'"{catalog}".{schema}'
    tables = sorted({*ADDED_COLUMNS, *(table for table, _ in RETYPED_COLUMNS)})
    have = {
        (table, column): data_type.lower()
        for table, column, data_type in con.execute(
            "select table_name, column_name, data_type from duckdb_columns() "
            "where schema_name = ? and database_name = ? "
            f"and table_name in ({', '.join('?' for _ in tables)})",
            [schema, catalog, *tables],
        ).fetchall()
    }
    for table, columns in ADDED_COLUMNS.items():
        for column in columns:
            if (table, column.split()[0]) not in have:
                con.execute(f"alter table {prefix}.{table} add column if not exists {column}")
    for (table, column), data_type in RETYPED_COLUMNS.items():
        current = have.get((table, column))
        if current is not None and current != data_type:
            con.execute(f"alter table {prefix}.{table} alter column {column} type {data_type}")


@contextlib.contextmanager
def transaction(con: duckdb.DuckDBPyConnection) -> Iterator[duckdb.DuckDBPyConnection]:
    """All statements inside commit together or not at all."""
    con.execute("begin transaction")
    try:
        yield con
    except BaseException:
        con.execute("rollback")
        raise
    con.execute("commit")


def copy_raw_to_postgres(con: duckdb.DuckDBPyConnection, dsn: str) -> dict[str, int]:
    """Mirror the raw schema into Postgres (for its dbt target) in one transaction.

    DuckDB stays the system of record; Postgres gets an exact copy through COPY CSV,
    the fastest path psycopg2 offers, with no per-row Python.
    """
    import tempfile

    import psycopg2

    counts: dict[str, int] = {}
    with tempfile.TemporaryDirectory(prefix="cchc-raw-") as tmp, psycopg2.connect(dsn) as pg:
        with pg.cursor() as cur:
            cur.execute(f"create schema if not exists {RAW_SCHEMA}")
            for table, columns in RAW_DDL.items():
                csv_path = Path(tmp) / f"{table}.csv"
                con.execute(
                    f"copy (select * from {RAW_SCHEMA}.{table}) to '{csv_path}' (format csv, header false)"
                )
                pg_columns = columns.replace(" double", " double precision")
                cur.execute(f"drop table if exists {RAW_SCHEMA}.{table} cascade")
                cur.execute(f"create table {RAW_SCHEMA}.{table} ({pg_columns})")
                with open(csv_path, encoding="utf-8") as handle:
                    cur.copy_expert(f"copy {RAW_SCHEMA}.{table} from stdin with (format csv)", handle)
                counts[table] = cur.rowcount
    return counts
