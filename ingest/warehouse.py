"""Warehouse connections and the raw schema that both loaders write.

DuckDB is the embedded default (one writer at a time); Postgres is the server
target for BI. Raw tables are written only through `transaction()` so a load is
all-or-nothing.
"""

from __future__ import annotations

import contextlib
import hashlib
import re
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import duckdb

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
            config: dict[str, str] | None = None) -> duckdb.DuckDBPyConnection:
    """Open the warehouse; creates the file and the raw schema when writable.

    A writable open waits up to `lock_timeout` seconds while another process holds the
    file, calling `on_wait` once with what it waits for; then raises WarehouseLocked.
    `config`: DuckDB settings to open with (`Settings.duckdb_config`: the memory cap and
    the spill folder, which is created).
    """
    config = dict(config or {})
    if config.get("temp_directory"):
        Path(config["temp_directory"]).mkdir(parents=True, exist_ok=True)
    path = Path(path)
    if read_only:
        if not path.exists():
            raise FileNotFoundError(
                f"{path} does not exist yet: run `make run` (or `cchc run`) to build it"
            )
        return duckdb.connect(str(path), read_only=True, config=config)
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
    ensure_raw_schema(con)
    return con


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
    con.execute(f"create schema if not exists {RAW_SCHEMA}")
    for table, columns in RAW_DDL.items():
        con.execute(f"create table if not exists {RAW_SCHEMA}.{table} ({columns})")
    _migrate_raw_columns(con)
    _drop_old_keys(con)


def _drop_old_keys(con: duckdb.DuckDBPyConnection) -> None:
    keyed = {table for (table,) in con.execute(
        "select table_name from duckdb_constraints() where schema_name = ? "
        "and database_name = current_database() and constraint_type = 'PRIMARY KEY'",
        [RAW_SCHEMA]).fetchall()}
    for table in DROPPED_KEYS:
        if table not in keyed:
            continue
        with transaction(con):
            con.execute(f"alter table {RAW_SCHEMA}.{table} rename to {table}_keyed")
            con.execute(f"create table {RAW_SCHEMA}.{table} ({RAW_DDL[table]})")
            con.execute(f"insert into {RAW_SCHEMA}.{table} by name "
                        f"select * from {RAW_SCHEMA}.{table}_keyed")
            con.execute(f"drop table {RAW_SCHEMA}.{table}_keyed")


def _migrate_raw_columns(con: duckdb.DuckDBPyConnection) -> None:
    """Add the columns in ADDED_COLUMNS and retype those in RETYPED_COLUMNS, where needed."""
    tables = sorted({*ADDED_COLUMNS, *(table for table, _ in RETYPED_COLUMNS)})
    have = {
        (table, column): data_type.lower()
        for table, column, data_type in con.execute(
            "select table_name, column_name, data_type from duckdb_columns() "
            f"where schema_name = '{RAW_SCHEMA}' and database_name = current_database() "
            f"and table_name in ({', '.join('?' for _ in tables)})",
            tables,
        ).fetchall()
    }
    for table, columns in ADDED_COLUMNS.items():
        for column in columns:
            if (table, column.split()[0]) not in have:
                con.execute(f"alter table {RAW_SCHEMA}.{table} add column if not exists {column}")
    for (table, column), data_type in RETYPED_COLUMNS.items():
        current = have.get((table, column))
        if current is not None and current != data_type:
            con.execute(f"alter table {RAW_SCHEMA}.{table} alter column {column} type {data_type}")


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
