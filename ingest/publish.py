"""Publish the marts as releases: a read-only serving copy (and Postgres for BI).

Readers (analysts, BI) open the serving file, never the writer's file, so a load never
blocks a dashboard. Each release is built as its own file under `serving/releases/`;
the serving path is then pointed at it with one rename of a hard link, so a reader sees
the old release or the new, never a mix, and one that holds the old file open keeps it.
The last `serving_keep` releases stay on disk, which is what `rollback` restores.

    warehouse/serving/cchc.duckdb                      <- what readers open (current release)
    warehouse/serving/releases/<release>.duckdb        <- the kept releases
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import re
import shutil
import tempfile
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingest.release_docs import comment_release_tables
from ingest.settings import Settings
from ingest.warehouse import quote_literal

log = logging.getLogger(__name__)

# Schemas built by dbt (and the GX runner) that readers of the serving copy get.
PUBLISHED_SCHEMAS = ("marts", "audit")
# What goes to Postgres for BI: the marts (dimensions, facts, reports, the register).
POSTGRES_SCHEMAS = ("marts",)

RELEASE_DDL = """
create table meta.release (
    release_id        varchar not null,
    published_at      timestamp not null,   -- UTC
    dbt_invocation_id varchar,              -- the `dbt build` that made these marts
    gx_run_name       varchar,              -- the gate run that passed them (GX run id)
    gx_run_time       timestamp,
    checks_passed     integer,
    checks_failed     integer,
    checks_warned     integer,
    source_files      integer,              -- files in meta.source_manifest
    source_rows       bigint,               -- rows read from them
    tables            varchar not null      -- JSON: published table -> rows
)
"""


class ReleaseError(RuntimeError):
    pass


@dataclass(frozen=True)
class Release:
    release_id: str
    published_at: datetime
    dbt_invocation_id: str | None
    gx_run_name: str | None
    checks_passed: int | None
    checks_failed: int | None
    checks_warned: int | None
    source_files: int
    source_rows: int
    tables: dict[str, int]
    path: Path
    is_current: bool = False

    def to_json(self) -> dict:
        data = asdict(self)
        data["published_at"] = self.published_at.isoformat()
        data["path"] = str(self.path)
        return data


def releases_dir(settings: Settings) -> Path:
    return settings.serving.parent / "releases"


def _release_file(settings: Settings, release_id: str) -> Path:
    return releases_dir(settings) / f"{re.sub(r'[^A-Za-z0-9_.-]+', '_', release_id)[:100]}.duckdb"


def _dbt_invocation_id(settings: Settings) -> str | None:
    from ingest.transform import dbt_target_path

    try:
        results = json.loads((dbt_target_path(settings) / "run_results.json").read_text())
        return results["metadata"]["invocation_id"]
    except (OSError, ValueError, KeyError):
        return None


def _copy_comments(con: duckdb.DuckDBPyConnection, schema: str, table: str) -> None:
    """Table and column descriptions (dbt persist_docs) follow the table into the release."""
    table_comment = con.execute(
        "select comment from duckdb_tables() where database_name = 'src' and schema_name = ? "
        "and table_name = ?", [schema, table]).fetchone()
    if table_comment and table_comment[0]:
        con.execute(f"comment on table {schema}.{table} is {quote_literal(table_comment[0])}")
    for column, comment in con.execute(
        "select column_name, comment from duckdb_columns() where database_name = 'src' "
        "and schema_name = ? and table_name = ? and comment is not null and comment <> ''",
        [schema, table]).fetchall():
        con.execute(f'comment on column {schema}.{table}."{column}" is {quote_literal(comment)}')


def _build_release_file(settings: Settings, release_id: str, path: Path) -> None:
    source = settings.warehouse.resolve()
    with duckdb.connect(str(path)) as con:
        con.execute(f"attach '{source}' as src (read_only)")
        rows = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = 'src' and table_schema in ? and table_type = 'BASE TABLE' "
            "order by all", [list(PUBLISHED_SCHEMAS)]).fetchall()
        if not any(schema == "marts" for schema, _ in rows):
            raise ReleaseError(f"{source} has no marts to publish: run `dbt build` first")
        tables: dict[str, int] = {}
        for schema, table in rows:
            con.execute(f"create schema if not exists {schema}")
            con.execute(f"create table {schema}.{table} as select * from src.{schema}.{table}")
            _copy_comments(con, schema, table)
            tables[f"{schema}.{table}"] = con.execute(f"select count(*) from {schema}.{table}").fetchone()[0]
        if ("audit", "discrepancy_register") in rows:
            from expectations.register import build_register_mart

            tables["marts.rpt_discrepancy_register"] = build_register_mart(con, release_id)

        con.execute("create schema meta")
        has = {f"{schema}.{table}" for schema, table in con.execute(
            "select table_schema, table_name from information_schema.tables where table_catalog = 'src'"
        ).fetchall()}
        # The source manifest: which files (by sha256) this release was built from.
        if "raw.load_manifest" in has:
            con.execute("create table meta.source_manifest as select * from src.raw.load_manifest")
        else:
            con.execute("create table meta.source_manifest (file_sha256 varchar, rows_read integer)")
        gate = (None, None)
        if "audit.gate_runs" in has:
            gate = con.execute("select gx_run_name, gx_run_time from src.audit.gate_runs where run_id = ?",
                               [release_id]).fetchone() or gate
        checks = (None, None, None)
        if "audit.check_results" in tables:
            checks = con.execute(
                "select count(*) filter (where success), "
                "count(*) filter (where not success and severity = 'fail'), "
                "count(*) filter (where not success and severity = 'warn') "
                "from audit.check_results where run_id = ?", [release_id]).fetchone()
        files, source_rows = con.execute(
            "select count(*), coalesce(sum(rows_read), 0) from meta.source_manifest").fetchone()
        con.execute("detach src")
        con.execute(RELEASE_DDL)
        con.execute(
            "insert into meta.release values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [release_id, datetime.now(UTC).replace(tzinfo=None), _dbt_invocation_id(settings),
             *gate, *checks, files, source_rows, json.dumps(tables)])
        comment_release_tables(con)
        con.execute("checkpoint")


def _activate(settings: Settings, release_file: Path) -> None:
    """Point the serving path at a release file with one atomic rename."""
    target = settings.serving
    incoming = target.with_name(f".{target.name}.incoming")
    incoming.unlink(missing_ok=True)
    try:
        os.link(release_file, incoming)  # no copy: the release file itself, by a second name
    except OSError:
        shutil.copyfile(release_file, incoming)  # file systems without hard links
    os.replace(incoming, target)


def read_release(path: Path) -> Release:
    with duckdb.connect(str(path), read_only=True) as con:
        row = con.execute(
            "select release_id, published_at, dbt_invocation_id, gx_run_name, checks_passed, "
            "checks_failed, checks_warned, source_files, source_rows, tables from meta.release"
        ).fetchone()
    return Release(*row[:9], tables=json.loads(row[9]), path=path)


def _is_serving(settings: Settings, release: Release) -> bool:
    """Is this the release readers get? The serving path is a hard link to it (a copy
    where the file system has none), so compare files, not what a cached open would say."""
    try:
        return os.path.samefile(settings.serving, release.path)
    except FileNotFoundError:
        return False


def list_releases(settings: Settings) -> list[Release]:
    """The kept releases, newest first; `is_current` marks the one readers get."""
    found = []
    for path in releases_dir(settings).glob("*.duckdb"):
        try:
            release = read_release(path)
        except duckdb.Error as exc:
            log.warning("skipping unreadable release file %s: %s", path, exc)
            continue
        found.append(Release(**{**asdict(release), "is_current": _is_serving(settings, release)}))
    if found and not any(r.is_current for r in found) and settings.serving.exists():
        with duckdb.connect(":memory:") as con:  # copied, not linked: match by release id
            con.execute(f"attach '{settings.serving}' as serving (read_only)")
            current = con.execute("select release_id from serving.meta.release").fetchone()[0]
        found = [Release(**{**asdict(r), "is_current": r.release_id == current}) for r in found]
    return sorted(found, key=lambda r: r.published_at, reverse=True)


def _prune(settings: Settings) -> list[str]:
    """Delete releases beyond the newest `serving_keep` (never the current one)."""
    removed = []
    for release in list_releases(settings)[settings.serving_keep:]:
        if not release.is_current:
            release.path.unlink(missing_ok=True)
            removed.append(release.release_id)
    return removed


def publish_release(settings: Settings, release_id: str) -> dict:
    """Build this release's file from the warehouse, make it current, copy it to Postgres
    when one is configured, and prune old releases; return what was published."""
    release_file = _release_file(settings, release_id)
    release_file.parent.mkdir(parents=True, exist_ok=True)
    building = release_file.with_name(f".{release_file.name}.building")
    building.unlink(missing_ok=True)
    try:
        _build_release_file(settings, release_id, building)
    except BaseException:
        building.unlink(missing_ok=True)
        raise
    os.replace(building, release_file)
    _activate(settings, release_file)
    release = read_release(release_file)
    result = {"release_id": release_id, "serving": str(settings.serving.resolve()),
              "tables": release.tables}
    if settings.publishes_to_postgres:
        result["postgres"] = publish_to_postgres(release_file, settings.postgres_dsn,
                                                 settings.postgres_reader_role)
    result["pruned"] = _prune(settings)
    log.info("published release %s: %s", release_id, result)
    return result


def rollback(settings: Settings, release_id: str | None = None) -> Release:
    """Make a kept release current again (default: the one before the current)."""
    releases = list_releases(settings)
    if release_id is None:
        current = next((i for i, r in enumerate(releases) if r.is_current), None)
        if current is None or current + 1 >= len(releases):
            raise ReleaseError("no earlier release is kept to roll back to; see `cchc releases`")
        chosen = releases[current + 1]
    else:
        chosen = next((r for r in releases if r.release_id == release_id), None)
        if chosen is None:
            kept = ", ".join(r.release_id for r in releases) or "none"
            raise ReleaseError(f"release {release_id!r} is not kept (kept: {kept})")
    _activate(settings, chosen.path)
    if settings.publishes_to_postgres:
        publish_to_postgres(chosen.path, settings.postgres_dsn, settings.postgres_reader_role)
    log.info("rolled back to release %s", chosen.release_id)
    return Release(**{**asdict(chosen), "is_current": True})


# ---------------------------------------------------------------- Postgres for BI

_PG_TYPES = {
    "VARCHAR": "text", "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz", "DOUBLE": "double precision", "FLOAT": "real",
    "BIGINT": "bigint", "INTEGER": "integer", "SMALLINT": "smallint", "TINYINT": "smallint",
    "HUGEINT": "numeric(38)", "UBIGINT": "numeric(20)", "UINTEGER": "bigint",
    "USMALLINT": "integer", "UTINYINT": "smallint", "TIME": "time", "UUID": "uuid",
}


def _pg_type(duckdb_type: str) -> str:
    if duckdb_type.startswith("DECIMAL"):
        return duckdb_type.replace("DECIMAL", "numeric")
    return _PG_TYPES.get(duckdb_type, "text")


def publish_to_postgres(release_file: Path, dsn: str, reader_role: str) -> dict[str, int]:
    """Replace the `marts` schema in Postgres with this release's, in one transaction.

    Tables are built in a fresh schema and swapped in by renames at the end, so BI
    queries see the previous release until the commit and the new one after it. The
    reader role gets usage and select, nothing else; its writes are refused.
    """
    import psycopg2
    from psycopg2 import sql

    release = read_release(release_file)
    counts: dict[str, int] = {}
    with (tempfile.TemporaryDirectory(prefix="cchc-publish-") as tmp,
          duckdb.connect(str(release_file), read_only=True) as con,
          contextlib.closing(psycopg2.connect(dsn)) as pg, pg, pg.cursor() as cur):
        tables = con.execute(
            "select schema_name, table_name, comment from duckdb_tables() "
            "where schema_name in ? order by all", [list(POSTGRES_SCHEMAS)]).fetchall()
        for schema in POSTGRES_SCHEMAS:
            incoming_schema = sql.Identifier(f"{schema}__incoming")
            cur.execute(sql.SQL("drop schema if exists {} cascade").format(incoming_schema))
            cur.execute(sql.SQL("create schema {}").format(incoming_schema))
        for schema, table, comment in tables:
            incoming = sql.Identifier(f"{schema}__incoming", table)
            columns = con.execute(
                "select column_name, data_type, comment from duckdb_columns() "
                "where schema_name = ? and table_name = ? order by column_index", [schema, table]).fetchall()
            cur.execute(sql.SQL("create table {} ({})").format(incoming, sql.SQL(", ").join(
                sql.SQL("{} {}").format(sql.Identifier(name), sql.SQL(_pg_type(kind)))
                for name, kind, _ in columns)))
            csv_path = Path(tmp) / f"{schema}.{table}.csv"
            con.execute(f"copy {schema}.{table} to '{csv_path}' (format csv, header false)")
            with open(csv_path, encoding="utf-8") as handle:
                cur.copy_expert(sql.SQL("copy {} from stdin with (format csv)").format(incoming), handle)
            counts[f"{schema}.{table}"] = cur.rowcount
            if comment:
                cur.execute(sql.SQL("comment on table {} is %s").format(incoming), [comment])
            for name, _, column_comment in columns:
                if column_comment:
                    cur.execute(sql.SQL("comment on column {}.{} is %s").format(
                        incoming, sql.Identifier(name)), [column_comment])
        cur.execute("create schema if not exists meta")
        cur.execute("""create table if not exists meta.releases (
            release_id text primary key, published_at timestamp not null, dbt_invocation_id text,
            gx_run_name text, tables jsonb not null, made_current_at timestamp not null)""")
        cur.execute("""insert into meta.releases values (%s, %s, %s, %s, %s, now() at time zone 'utc')
            on conflict (release_id) do update set made_current_at = excluded.made_current_at""",
                    [release.release_id, release.published_at, release.dbt_invocation_id,
                     release.gx_run_name, json.dumps(release.tables)])
        cur.execute("""create or replace view meta.current_release as
            select * from meta.releases order by made_current_at desc limit 1""")
        role = sql.Identifier(reader_role)
        cur.execute("select 1 from pg_roles where rolname = %s", [reader_role])
        has_reader = cur.fetchone() is not None
        for schema in POSTGRES_SCHEMAS:
            cur.execute(sql.SQL("drop schema if exists {} cascade").format(sql.Identifier(schema)))
            cur.execute(sql.SQL("alter schema {} rename to {}").format(
                sql.Identifier(f"{schema}__incoming"), sql.Identifier(schema)))
            if has_reader:
                cur.execute(sql.SQL("grant usage on schema {} to {}").format(sql.Identifier(schema), role))
                cur.execute(sql.SQL("grant select on all tables in schema {} to {}").format(
                    sql.Identifier(schema), role))
        if has_reader:
            cur.execute(sql.SQL("grant usage on schema meta to {}").format(role))
            cur.execute(sql.SQL("grant select on all tables in schema meta to {}").format(role))
        else:
            log.warning("Postgres role %s does not exist: BI cannot read the marts until it is "
                        "created (see docker/postgres/initdb/ and README 'Connecting a BI tool')",
                        reader_role)
    return counts
