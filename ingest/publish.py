"""Publish the marts as releases: a read-only serving copy (and Postgres for BI).

Readers (analysts, BI) open the serving file, never the writer's file, so a load never
blocks a dashboard. Each release is built as its own file under `serving/releases/`;
the serving path is then pointed at it with one rename of a hard link, so a reader sees
the old release or the new, never a mix, and one that holds the old file open keeps it.
The last `serving_keep` releases stay on disk, which is what `rollback` restores.

    warehouse/serving/cchc.duckdb                      <- what readers open (current release)
    warehouse/serving/releases/<release>.duckdb        <- the kept releases

With Postgres configured, a release moves both targets or neither: Postgres is loaded
into `marts__incoming` and swapped in inside one transaction that stays open while the
serving path is re-pointed; then Postgres commits. If the commit fails, the serving path
goes back to the release it had. Errors that cannot heal by waiting (a missing database,
a refused login) raise `PermanentPublishError`, which the DAGs do not retry.

A release records what it was built from (`meta.build_inputs`: the load manifest's
files and the dbt project's and the gate's code); `release_with_same_inputs` finds a kept
release built from what the warehouse holds now, so a run that loaded nothing new can
leave the releases as they are.
"""

from __future__ import annotations

import contextlib
import hashlib
import json
import logging
import os
import re
import shutil
import sys
import tempfile
import threading
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from pathlib import Path

import duckdb

from ingest import warehouse
from ingest.release_docs import comment_release_tables
from ingest.settings import REPO_ROOT, Settings
from ingest.transform import dbt_project_inputs, files_fingerprint
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


class PublishError(ReleaseError):
    """A target could not be moved to the release; every target stays where it was.
    Worth retrying (a refused connection, a timeout, a dropped connection)."""


class PermanentPublishError(PublishError):
    """As PublishError, but waiting cannot fix it (a missing database, a refused login):
    the DAGs fail the task at once instead of retrying."""


class NothingToPublish(Exception):  # noqa: N818 (an outcome, not an error)
    """The warehouse holds nothing a kept release was not built from."""

    def __init__(self, message: str, release: Release) -> None:
        super().__init__(message)
        self.release = release


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


def _build_release_file(settings: Settings, release_id: str, path: Path) -> dict[str, int]:
    """The release is a copy of the warehouse file (a file copy, not a rewrite of every
    row: the raw tables live in their own file), less what readers must not get.

    The warehouse is held open as its writer throughout, so nothing writes it between the
    checkpoint and the copy, and the copy is built in the same connection (the raw file's
    load manifest is at hand as catalog `raw`). Returns published table -> rows."""
    with warehouse.connect(settings.warehouse, lock_timeout=settings.lock_timeout_seconds,
                           config=settings.duckdb_config, raw=settings.raw_warehouse) as con:
        source = con.execute("select current_database()").fetchone()[0]
        if not con.execute("select count(*) from duckdb_tables() where database_name = ? "
                           "and schema_name = 'marts'", [source]).fetchone()[0]:
            raise ReleaseError(f"{settings.warehouse} has no marts to publish: run `dbt build` first")
        con.execute("checkpoint")  # every committed change in the file, none in its WAL
        shutil.copyfile(settings.warehouse, path)
        # As `src`: the register mart's queries name the release's tables src.marts.*
        con.execute(f"attach {quote_literal(str(path))} as src")
        try:
            con.execute("use src")
            with _written_to_disk(path):
                # One commit for every edit: each commit syncs the release's WAL to disk.
                with warehouse.transaction(con):
                    tables = _keep_published(con)
                    if "audit.discrepancy_register" in tables:
                        from expectations.register import build_register_mart

                        tables["marts.rpt_discrepancy_register"] = build_register_mart(con, release_id)
                    _write_release_meta(con, settings, release_id, tables)
                    _record_build_inputs(con, settings)
                con.execute("checkpoint src")
        finally:
            con.execute(f'use "{source}"')
            con.execute("detach src")
    return tables


@contextlib.contextmanager
def _written_to_disk(path: Path) -> Iterator[None]:
    """Sync a file just copied to disk while the body runs (a thread waiting in fsync).

    The copy sits in the page cache; the release's checkpoint syncs the file before it
    is swapped in (a crash must not leave readers a torn release), and would wait for
    all of it to be written then. Started here, that writing overlaps the edits."""
    failed: list[OSError] = []

    def sync() -> None:
        try:
            fd = os.open(path, os.O_RDWR)
            try:
                os.fsync(fd)
            finally:
                os.close(fd)
        except OSError as exc:
            failed.append(exc)

    writer = threading.Thread(target=sync, name=f"sync {path.name}", daemon=True)
    writer.start()
    try:
        yield
    finally:
        writer.join()
    if failed:
        raise failed[0]


def _keep_published(con: duckdb.DuckDBPyConnection) -> dict[str, int]:
    """Drop from the release (the current database) everything but the tables of
    PUBLISHED_SCHEMAS: staging and intermediate views (they read the raw catalog, which
    readers do not have), reference seeds, views. Returns published table -> rows."""
    for (schema,) in con.execute(
            "select schema_name from duckdb_schemas() where database_name = current_database() "
            "and not internal and schema_name not in ?", [list(PUBLISHED_SCHEMAS)]).fetchall():
        con.execute(f'drop schema "{schema}" cascade')
    for kind, schema, name in con.execute(
            "select 'view', schema_name, view_name from duckdb_views() "
            "where database_name = current_database() and not internal "
            "union all select 'table', schema_name, table_name from duckdb_tables() "
            "where database_name = current_database() and schema_name = 'main'").fetchall():
        con.execute(f'drop {kind} "{schema}"."{name}"')
    return {f"{schema}.{table}": con.execute(f'select count(*) from "{schema}"."{table}"').fetchone()[0]
            for schema, table in con.execute(
                "select schema_name, table_name from duckdb_tables() "
                "where database_name = current_database() order by all").fetchall()}


def _write_release_meta(con: duckdb.DuckDBPyConnection, settings: Settings, release_id: str,
                        tables: dict[str, int]) -> None:
    """meta.source_manifest (the raw file's load manifest) and meta.release, in the
    release (the current database)."""
    con.execute("create schema meta")
    # The source manifest: which files (by sha256) this release was built from.
    con.execute("create table meta.source_manifest as select * from raw.load_manifest")
    gate = (None, None)
    if "audit.gate_runs" in tables:
        gate = con.execute("select gx_run_name, gx_run_time from audit.gate_runs where run_id = ?",
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
    con.execute(RELEASE_DDL)
    con.execute(
        "insert into meta.release values (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [release_id, datetime.now(UTC).replace(tzinfo=None), _dbt_invocation_id(settings),
         *gate, *checks, files, source_rows, json.dumps(tables)])


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
    if len(list(releases_dir(settings).glob("*.duckdb"))) <= settings.serving_keep:
        return removed  # (without opening every release to order them)
    for release in list_releases(settings)[settings.serving_keep:]:
        if not release.is_current:
            release.path.unlink(missing_ok=True)
            removed.append(release.release_id)
    return removed


def publish_release(settings: Settings, release_id: str) -> dict:
    """Build this release's file from the warehouse, make it current in the serving copy
    and (when one is configured) Postgres, both or neither, and prune old releases;
    return what was published."""
    release_file = _release_file(settings, release_id)
    release_file.parent.mkdir(parents=True, exist_ok=True)
    building = release_file.with_name(f".{release_file.name}.building")
    building.unlink(missing_ok=True)
    try:
        tables = _build_release_file(settings, release_id, building)
    except BaseException:
        building.unlink(missing_ok=True)
        raise
    try:
        postgres = _make_current(settings, building, "publish", release_id)
    except BaseException:
        building.unlink(missing_ok=True)  # a failed publish leaves no release behind
        raise
    os.replace(building, release_file)  # the file the serving path now links to, renamed
    result = {"release_id": release_id, "serving": str(settings.serving.resolve()),
              "tables": tables}
    if postgres is not None:
        result["postgres"] = postgres
    result["pruned"] = _prune(settings)
    log.info("published release %s: %s", release_id, result)
    return result


def rollback(settings: Settings, release_id: str | None = None) -> Release:
    """Make a kept release current again (default: the one before the current), in the
    serving copy and Postgres together."""
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
    _make_current(settings, chosen.path, "rollback", chosen.release_id)
    log.info("rolled back to release %s", chosen.release_id)
    return Release(**{**asdict(chosen), "is_current": True})


def _serving_release_id(settings: Settings) -> str | None:
    if not settings.serving.exists():
        return None
    try:
        with duckdb.connect(":memory:") as con:
            con.execute(f"attach {quote_literal(str(settings.serving))} as serving (read_only)")
            return con.execute("select release_id from serving.meta.release").fetchone()[0]
    except duckdb.Error:
        return None


def _make_current(settings: Settings, release_file: Path, action: str,
                  release_id: str) -> dict[str, int] | None:
    """Point the serving copy and Postgres (when configured) at a release file together.

    Postgres is loaded and swapped inside a transaction first; the serving path is then
    re-pointed and Postgres commits. A failure anywhere leaves both on the release they
    had (the serving path is re-pointed back) and raises PublishError naming the target.
    Returns Postgres' row counts (None without Postgres).
    """
    prepared = None
    if settings.publishes_to_postgres:
        # For Postgres' error messages only (it opens the serving file's catalog).
        serving_before = _serving_release_id(settings)
        stays = (f"DuckDB serving stays on release {serving_before}" if serving_before
                 else "DuckDB serving stays without a release")
        try:
            prepared = prepare_postgres(release_file, settings.postgres_dsn,
                                        settings.postgres_reader_role)
        except Exception as exc:
            raise _postgres_error(exc, action, release_id, settings.postgres_dsn, stays) from exc
    previous = _link_previous_serving(settings)
    try:
        _activate(settings, release_file)
        if prepared is not None:
            try:
                _before_postgres_commit()
                prepared.commit()
            except Exception as exc:
                raise _postgres_error(exc, action, release_id, settings.postgres_dsn, stays) from exc
    except BaseException:
        if prepared is not None:
            prepared.abort()
        _restore_serving(settings, previous)
        raise
    finally:
        if previous is not None:
            previous.unlink(missing_ok=True)
    return prepared.counts if prepared is not None else None


def _before_postgres_commit() -> None:
    """Nothing; the point between the serving swap and Postgres' commit (tests fail here)."""


def _link_previous_serving(settings: Settings) -> Path | None:
    """A second name for the current serving file, to put it back if the switch fails."""
    if not settings.serving.exists():
        return None
    previous = settings.serving.with_name(f".{settings.serving.name}.previous")
    previous.unlink(missing_ok=True)
    try:
        os.link(settings.serving, previous)
    except OSError:
        shutil.copyfile(settings.serving, previous)
    return previous


def _restore_serving(settings: Settings, previous: Path | None) -> None:
    if previous is None:
        settings.serving.unlink(missing_ok=True)  # there was no release before
    else:
        os.replace(previous, settings.serving)


# ---------------------------------------------------------------- what a release is built from

# The code that turns raw into a release: dbt's project and the gate's suites. A change
# elsewhere (the publish step, a Python package) needs `cchc run --rebuild`.
def code_fingerprint(settings: Settings) -> str:
    """sha256 over the dbt project's models, seeds, macros, tests and the GX suites."""
    return files_fingerprint([*dbt_project_inputs(settings), REPO_ROOT / "expectations"])


def _manifest_fingerprint(con: duckdb.DuckDBPyConnection, catalog: str, table: str) -> str | None:
    """sha256 over the (file, partitions) of a load manifest (`<catalog>.<table>`, the
    table as schema.name); None when there is none."""
    schema, _, name = table.partition(".")
    columns = {row[0] for row in con.execute(
        "select column_name from duckdb_columns() where database_name = ? and schema_name = ? "
        "and table_name = ?", [catalog, schema, name]).fetchall()}
    if "file_sha256" not in columns:
        return None
    partitions = "partitions" if "partitions" in columns else "null"
    rows = con.execute(f'select file_sha256, {partitions} from "{catalog}".{table} order by all').fetchall()
    return hashlib.sha256(json.dumps(rows).encode()).hexdigest()


def _record_build_inputs(con: duckdb.DuckDBPyConnection, settings: Settings) -> None:
    """meta.build_inputs, and the comments of the meta and audit tables, in the release
    being built (the connection's current database)."""
    catalog = con.execute("select current_database()").fetchone()[0]
    sources = _manifest_fingerprint(con, catalog, "meta.source_manifest")
    con.execute("create table meta.build_inputs (sources_fingerprint varchar, "
                "code_fingerprint varchar)")
    con.execute("insert into meta.build_inputs values (?, ?)", [sources, code_fingerprint(settings)])
    comment_release_tables(con)


def _build_inputs(path: Path) -> tuple[str, str] | None:
    try:
        with duckdb.connect(str(path), read_only=True) as con:
            row = con.execute("select sources_fingerprint, code_fingerprint "
                              "from meta.build_inputs").fetchone()
    except duckdb.Error:  # a release from before build_inputs existed
        return None
    return tuple(row) if row else None


def release_with_same_inputs(settings: Settings) -> Release | None:
    """The newest kept release built from the files the warehouse holds now and the same
    dbt project and gate; None when there is none (something new is worth publishing)."""
    if not settings.warehouse.exists():
        return None
    with warehouse.connect(settings.warehouse, read_only=True, raw=settings.raw_warehouse) as con:
        catalog, schema = warehouse.raw_location(con)
        sources = _manifest_fingerprint(con, catalog, f"{schema}.load_manifest")
    if sources is None:
        return None
    wanted = (sources, code_fingerprint(settings))
    return next((r for r in list_releases(settings) if _build_inputs(r.path) == wanted), None)


def nothing_new(settings: Settings) -> NothingToPublish | None:
    """NothingToPublish (to raise) when a kept release was built from what the warehouse
    holds now; None when there is something new to publish."""
    same = release_with_same_inputs(settings)
    if same is None:
        return None
    current = next((r.release_id for r in list_releases(settings) if r.is_current), None)
    return NothingToPublish(
        f"nothing new to publish: release {same.release_id} was built from the same "
        f"{same.source_files} source files and the same dbt project and checks; the current "
        f"release {current} stays (rollback history kept). To publish anyway: trigger with "
        f"param rebuild=true, or `cchc run --rebuild`.", same)


# ---------------------------------------------------------------- Postgres for BI

_PG_TYPES = {
    "VARCHAR": "text", "BOOLEAN": "boolean", "DATE": "date", "TIMESTAMP": "timestamp",
    "TIMESTAMP WITH TIME ZONE": "timestamptz", "DOUBLE": "double precision", "FLOAT": "real",
    "BIGINT": "bigint", "INTEGER": "integer", "SMALLINT": "smallint", "TINYINT": "smallint",
    "HUGEINT": "numeric(38)", "UBIGINT": "numeric(20)", "UINTEGER": "bigint",
    "USMALLINT": "integer", "UTINYINT": "smallint", "TIME": "time", "UUID": "uuid",
}


# A server that does not answer within this fails the try (and is retried).
PG_CONNECT_TIMEOUT_SECONDS = 10
# SQLSTATE classes no retry can fix: 28 invalid authorization, 3D invalid catalog
# (database) name; 42501 insufficient privilege.
_PERMANENT_PGCODES = ("28", "3D", "42501")
# The same, as libpq words them before a session exists (no SQLSTATE then).
_PERMANENT_MESSAGES = ("does not exist", "authentication failed", "no pg_hba.conf entry",
                       "no password supplied", "permission denied", "invalid dsn",
                       "invalid connection option", "invalid sslmode")


def redact_dsn(dsn: str) -> str:
    """The DSN without its password (URL or key=value form), for messages."""
    dsn = re.sub(r"(password\s*=\s*)('(?:[^'\\]|\\.)*'|\S+)", r"\1***", dsn)
    return re.sub(r"^(\w+://[^:/@]*):[^@/]*@", r"\1:***@", dsn)


def is_permanent_postgres_error(exc: BaseException) -> bool:
    """Will retrying fail the same way? (A missing database, role or grant, a refused
    login, a malformed DSN.) Refused connections and timeouts are not permanent."""
    code = getattr(exc, "pgcode", None) or ""
    if code and code.startswith(_PERMANENT_PGCODES):
        return True
    psycopg2 = sys.modules.get("psycopg2")
    if psycopg2 is None or not isinstance(exc, psycopg2.OperationalError | psycopg2.ProgrammingError):
        return False
    if code:  # a server-side error with a SQLSTATE outside the permanent classes
        return False
    message = str(exc).lower()
    return any(words in message for words in _PERMANENT_MESSAGES)


def _postgres_reason(exc: BaseException) -> str:
    text = str(exc).strip() or type(exc).__name__
    if "FATAL:" in text:
        text = text.split("FATAL:", 1)[1]
    return " ".join(text.split("\n")[0].split())


def _postgres_error(exc: BaseException, action: str, release_id: str, dsn: str,
                    stays: str) -> PublishError:
    kind = PermanentPublishError if is_permanent_postgres_error(exc) else PublishError
    return kind(f"Postgres {action} to {redact_dsn(dsn)} failed (release {release_id}): "
                f"{_postgres_reason(exc)}; {stays}"
                f"{'' if kind is PublishError else ' (not retried: fix the setting and rerun)'}")


def _pg_type(duckdb_type: str) -> str:
    if duckdb_type.startswith("DECIMAL"):
        return duckdb_type.replace("DECIMAL", "numeric")
    return _PG_TYPES.get(duckdb_type, "text")


def publish_to_postgres(release_file: Path, dsn: str, reader_role: str) -> dict[str, int]:
    """Replace the `marts` schema in Postgres with this release's, in one transaction."""
    prepared = prepare_postgres(release_file, dsn, reader_role)
    prepared.commit()
    return prepared.counts


class PreparedPostgres:
    """A Postgres transaction that has swapped in a release's marts, not yet committed."""

    def __init__(self, pg, counts: dict[str, int]) -> None:
        self._pg, self.counts = pg, counts

    def commit(self) -> None:
        try:
            self._pg.commit()
        finally:
            self._pg.close()

    def abort(self) -> None:
        """Roll back (BI keeps the release it had); never raises."""
        with contextlib.suppress(Exception):
            self._pg.rollback()
        with contextlib.suppress(Exception):
            self._pg.close()


def prepare_postgres(release_file: Path, dsn: str, reader_role: str) -> PreparedPostgres:
    """Load this release's marts into Postgres and swap them in, in one open transaction.

    Tables are built in a fresh schema and swapped in by renames at the end, so BI
    queries see the previous release until the commit and the new one after it. The
    reader role gets usage and select, nothing else; its writes are refused.
    """
    import psycopg2

    release = read_release(release_file)
    timeout = {} if "connect_timeout" in dsn else {"connect_timeout": PG_CONNECT_TIMEOUT_SECONDS}
    pg = psycopg2.connect(dsn, **timeout)
    try:
        counts = _load_postgres(pg, release_file, release, reader_role)
    except BaseException:
        PreparedPostgres(pg, {}).abort()
        raise
    return PreparedPostgres(pg, counts)


def _load_postgres(pg, release_file: Path, release: Release, reader_role: str) -> dict[str, int]:
    from psycopg2 import sql

    counts: dict[str, int] = {}
    with (tempfile.TemporaryDirectory(prefix="cchc-publish-") as tmp,
          duckdb.connect(str(release_file), read_only=True) as con, pg.cursor() as cur):
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
