"""Publishing makes releases: the read-only serving copy is swapped atomically (open
readers keep their release), old releases are kept for rollback, and Postgres gets the
same marts for BI, readable (and only readable) by the reader role."""

from __future__ import annotations

import contextlib
import json
from pathlib import Path

import duckdb
import pytest

from ingest import warehouse
from ingest.publish import ReleaseError, list_releases, publish_release, rollback
from ingest.settings import Settings


def build_marts(settings: Settings, agencies: int) -> None:
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists staging")
        con.execute(
            "create or replace table marts.dim_agencies as "
            f"select range as id, 'Sở Tư pháp ' || range as agency_name from range({agencies})"
        )
        con.execute("comment on table marts.dim_agencies is 'One row per agency version.'")
        con.execute("comment on column marts.dim_agencies.agency_name is 'Tên cơ quan, có dấu.'")
        con.execute("create or replace table staging.not_published as select 1 as x")
        con.execute("create or replace view marts.v as select 1 as x")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(warehouse=tmp_path / "w.duckdb", serving=tmp_path / "serving" / "cchc.duckdb",
                    dbt_project_dir=tmp_path / "dbt", serving_keep=3)


def serving_release(settings: Settings) -> tuple[str, int]:
    with duckdb.connect(str(settings.serving), read_only=True) as con:
        return (con.execute("select release_id from meta.release").fetchone()[0],
                con.execute("select count(*) from marts.dim_agencies").fetchone()[0])


def test_publish_copies_only_published_schemas_with_release_metadata(settings: Settings) -> None:
    build_marts(settings, agencies=3)
    (settings.dbt_project_dir / "target").mkdir(parents=True)
    (settings.dbt_project_dir / "target" / "run_results.json").write_text(
        json.dumps({"metadata": {"invocation_id": "dbt-invocation-1"}}))
    result = publish_release(settings, release_id="manual__2020-12-01T00:00:00+00:00")
    assert result["tables"] == {"marts.dim_agencies": 3}
    with duckdb.connect(str(settings.serving), read_only=True) as con:
        release_id, tables, dbt_id = con.execute(
            "select release_id, tables, dbt_invocation_id from meta.release").fetchone()
        schemas = {
            row[0] for row in con.execute("select schema_name from information_schema.schemata").fetchall()
        }
        table_comment = con.execute(
            "select comment from duckdb_tables() where table_name = 'dim_agencies'").fetchone()[0]
        column_comment = con.execute(
            "select comment from duckdb_columns() where table_name = 'dim_agencies' "
            "and column_name = 'agency_name'").fetchone()[0]
    assert release_id == "manual__2020-12-01T00:00:00+00:00"
    assert json.loads(tables) == {"marts.dim_agencies": 3}
    assert dbt_id == "dbt-invocation-1"
    assert "staging" not in schemas
    assert (table_comment, column_comment) == ("One row per agency version.", "Tên cơ quan, có dấu.")
    leftovers = [p.name for p in settings.serving.parent.rglob(".*")]
    assert not leftovers, f"no building/incoming file left behind: {leftovers}"


def test_release_is_the_warehouse_without_staging_reference_or_raw(settings: Settings) -> None:
    build_marts(settings, agencies=2)
    with warehouse.connect(settings.warehouse, raw=settings.raw_warehouse) as con:
        con.execute("insert into raw.load_manifest (file_sha256, source_file, source_kind, "
                    "partitions, rows_read, rows_loaded, rows_quarantined, loaded_at) "
                    "values ('f1', 'a.csv', 'dossiers', '[\"G01/2020-01\"]', 7, 7, 0, now())")
        con.execute("create view staging.stg_manifest as select * from raw.load_manifest")
        con.execute("create schema reference")
        con.execute("create table reference.agencies as select 'G01' as agency_code")
        con.execute("create table main.scratch as select 1 as x")
    publish_release(settings, release_id="r1")
    with duckdb.connect(str(settings.serving), read_only=True) as con:  # as a reader opens it
        tables = con.execute("select schema_name, table_name from duckdb_tables() order by all").fetchall()
        views = con.execute("select view_name from duckdb_views() where not internal").fetchall()
        manifest = con.execute("select file_sha256, rows_read from meta.source_manifest").fetchall()
        source_files, source_rows = con.execute(
            "select source_files, source_rows from meta.release").fetchone()
        comments = dict(con.execute("select schema_name || '.' || table_name, comment from duckdb_tables() "
                                    "where schema_name = 'meta'").fetchall())
    assert tables == [("marts", "dim_agencies"), ("meta", "build_inputs"), ("meta", "release"),
                      ("meta", "source_manifest")]
    assert views == []
    assert manifest == [("f1", 7)] and (source_files, source_rows) == (1, 7)
    assert all(comments.values()), comments


def test_a_release_not_synced_to_disk_is_not_published(settings: Settings,
                                                       monkeypatch: pytest.MonkeyPatch) -> None:
    """The copy is synced to disk in a thread while the release is edited: a failed sync
    fails the publish, and readers keep the release they had (a release that may not be
    on disk after a crash is never swapped in)."""
    import errno
    import os

    build_marts(settings, agencies=2)
    publish_release(settings, release_id="r1")
    build_marts(settings, agencies=3)

    def failing_fsync(fd: int) -> None:
        raise OSError(errno.EIO, "simulated I/O error")

    monkeypatch.setattr(os, "fsync", failing_fsync)
    with pytest.raises(OSError, match="simulated I/O error"):
        publish_release(settings, release_id="r2")
    assert serving_release(settings) == ("r1", 2)
    assert [r.release_id for r in list_releases(settings)] == ["r1"]
    assert not [p.name for p in settings.serving.parent.rglob(".*")]


def test_reader_holding_the_old_release_is_not_disturbed(settings: Settings) -> None:
    build_marts(settings, agencies=3)
    publish_release(settings, release_id="r1")
    reader = duckdb.connect(str(settings.serving), read_only=True)
    build_marts(settings, agencies=5)
    publish_release(settings, release_id="r2")  # must not wait for, or break, the reader
    assert reader.execute("select count(*) from marts.dim_agencies").fetchone() == (3,)
    reader.close()
    with duckdb.connect(str(settings.serving), read_only=True) as fresh:
        assert fresh.execute("select release_id from meta.release").fetchone() == ("r2",)
        assert fresh.execute("select count(*) from marts.dim_agencies").fetchone() == (5,)


def test_publish_without_marts_fails_and_keeps_the_previous_release(settings: Settings) -> None:
    build_marts(settings, agencies=2)
    publish_release(settings, release_id="r1")
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("drop schema marts cascade")
    with pytest.raises(RuntimeError, match="no marts to publish"):
        publish_release(settings, release_id="r2")
    assert serving_release(settings) == ("r1", 2)
    assert [r.release_id for r in list_releases(settings)] == ["r1"]


def test_releases_are_kept_listed_and_pruned_to_the_newest(settings: Settings) -> None:
    for n in range(1, 6):
        build_marts(settings, agencies=n)
        publish_release(settings, release_id=f"r{n}")
    kept = list_releases(settings)
    assert [(r.release_id, r.is_current, r.tables) for r in kept] == [
        ("r5", True, {"marts.dim_agencies": 5}),
        ("r4", False, {"marts.dim_agencies": 4}),
        ("r3", False, {"marts.dim_agencies": 3}),
    ]
    assert len(list((settings.serving.parent / "releases").glob("*.duckdb"))) == 3


def test_rollback_restores_the_previous_release_then_a_named_one(settings: Settings) -> None:
    for n in (1, 2, 3):
        build_marts(settings, agencies=n)
        publish_release(settings, release_id=f"r{n}")
    reader = duckdb.connect(str(settings.serving), read_only=True)  # an analyst on r3

    assert rollback(settings).release_id == "r2"
    assert reader.execute("select count(*) from marts.dim_agencies").fetchone() == (3,)
    reader.close()  # (this process would otherwise reuse the reader's open database)
    assert serving_release(settings) == ("r2", 2)
    assert [r.release_id for r in list_releases(settings) if r.is_current] == ["r2"]

    assert rollback(settings, "r3").release_id == "r3"
    assert serving_release(settings) == ("r3", 3)
    with pytest.raises(ReleaseError, match="not kept"):
        rollback(settings, "r0")
    # a new publish after a rollback becomes current and the rolled-back-from one stays kept
    build_marts(settings, agencies=4)
    publish_release(settings, release_id="r4")
    assert serving_release(settings) == ("r4", 4)


def test_rollback_without_an_earlier_release_says_so(settings: Settings) -> None:
    build_marts(settings, agencies=1)
    publish_release(settings, release_id="only")
    with pytest.raises(ReleaseError, match="no earlier release"):
        rollback(settings)
    assert serving_release(settings) == ("only", 1)



@pytest.mark.postgres
def test_release_goes_to_postgres_readable_but_not_writable_by_the_reader_role(
    settings: Settings, postgres_dsn: str, reader_role: str
) -> None:
    import sqlalchemy

    settings = settings.model_copy(update={"postgres_dsn": postgres_dsn, "postgres_reader_role": reader_role})
    build_marts(settings, agencies=3)
    assert publish_release(settings, release_id="r1")["postgres"] == {"marts.dim_agencies": 3}
    build_marts(settings, agencies=4)
    publish_release(settings, release_id="r2")

    reader_url = sqlalchemy.engine.make_url(postgres_dsn.replace("postgresql://", "postgresql+psycopg2://"))
    engine = sqlalchemy.create_engine(reader_url.set(username=reader_role))
    with engine.connect() as con:
        assert con.execute(sqlalchemy.text("select count(*) from marts.dim_agencies")).scalar() == 4
        assert con.execute(sqlalchemy.text(
            "select agency_name from marts.dim_agencies order by id limit 1")).scalar() == "Sở Tư pháp 0"
        assert con.execute(sqlalchemy.text(
            "select release_id from meta.current_release")).scalar() == "r2"
        comments = con.execute(sqlalchemy.text(
            "select obj_description('marts.dim_agencies'::regclass), "
            "col_description('marts.dim_agencies'::regclass, 2)")).one()
        assert tuple(comments) == ("One row per agency version.", "Tên cơ quan, có dấu.")
    for statement in ("insert into marts.dim_agencies values (99, 'x')",
                      "delete from marts.dim_agencies",
                      "create table marts.mine (x int)",
                      "drop table marts.dim_agencies"):
        with engine.connect() as con, pytest.raises(sqlalchemy.exc.ProgrammingError,
                                                    match="permission denied|must be owner"):
            con.execute(sqlalchemy.text(statement))
    engine.dispose()

    rollback(settings)  # Postgres follows the serving copy back to r1
    with sqlalchemy.create_engine(reader_url.set(username=reader_role)).connect() as con:
        assert con.execute(sqlalchemy.text("select count(*) from marts.dim_agencies")).scalar() == 3
        assert con.execute(sqlalchemy.text("select release_id from meta.current_release")).scalar() == "r1"


def postgres_release(dsn: str) -> tuple[str, int]:
    import psycopg2

    with contextlib.closing(psycopg2.connect(dsn)) as pg, pg.cursor() as cur:
        cur.execute("select release_id from meta.current_release")
        (release_id,) = cur.fetchone()
        cur.execute("select count(*) from marts.dim_agencies")
        return release_id, cur.fetchone()[0]


def release_files(settings: Settings) -> list[str]:
    return sorted(p.name for p in (settings.serving.parent / "releases").iterdir())


@pytest.mark.postgres
def test_wrong_postgres_database_fails_at_once_naming_the_target_and_moves_nothing(
    settings: Settings, postgres_dsn: str
) -> None:
    import time

    from ingest.publish import PermanentPublishError

    settings = settings.model_copy(update={"postgres_dsn": postgres_dsn})
    for n in (1, 2):
        build_marts(settings, agencies=n)
        publish_release(settings, release_id=f"r{n}")
    kept = release_files(settings)
    base, _, _ = postgres_dsn.rpartition("/")
    wrong = settings.model_copy(update={"postgres_dsn": f"postgresql://postgres:s3cret@{base.split('@')[1]}"
                                                       "/cchc_no_such_db"})
    build_marts(settings, agencies=3)
    started = time.monotonic()
    with pytest.raises(PermanentPublishError) as caught:
        publish_release(wrong, release_id="r3")
    assert time.monotonic() - started < 15
    message = str(caught.value)
    assert message.startswith("Postgres publish to postgresql://postgres:***@")
    assert "/cchc_no_such_db failed (release r3): " in message
    assert 'database "cchc_no_such_db" does not exist' in message
    assert "DuckDB serving stays on release r2" in message and "s3cret" not in message
    assert serving_release(settings) == ("r2", 2)
    assert postgres_release(postgres_dsn) == ("r2", 2)
    assert release_files(settings) == kept, "a failed publish leaves no release behind"

    # Rollback is all-or-nothing too.
    with pytest.raises(PermanentPublishError,
                       match=r"Postgres rollback to .* \(release r1\): .* stays on release r2"):
        rollback(wrong)
    assert serving_release(settings) == ("r2", 2)
    assert postgres_release(postgres_dsn) == ("r2", 2)


@pytest.mark.postgres
@pytest.mark.parametrize("fail_at", ["_activate", "_before_postgres_commit"])
def test_failure_between_the_postgres_load_and_its_commit_leaves_both_on_the_old_release(
    settings: Settings, postgres_dsn: str, monkeypatch: pytest.MonkeyPatch, fail_at: str
) -> None:
    """Postgres has loaded and swapped in the new marts (uncommitted); then the serving
    swap fails, or the commit does: DuckDB and Postgres both stay on r1."""
    import ingest.publish
    from ingest.publish import PermanentPublishError, PublishError

    settings = settings.model_copy(update={"postgres_dsn": postgres_dsn})
    build_marts(settings, agencies=1)
    publish_release(settings, release_id="r1")
    kept = release_files(settings)
    build_marts(settings, agencies=2)
    real = getattr(ingest.publish, fail_at)

    def fail(*args) -> None:
        real(*args)  # the swap (or nothing) happened; then the failure
        import psycopg2  # (the marts and the view are locked by the uncommitted swap)

        with contextlib.closing(psycopg2.connect(postgres_dsn)) as pg, pg.cursor() as cur:
            cur.execute("select release_id from meta.releases order by made_current_at desc limit 1")
            assert cur.fetchone() == ("r1",), "other sessions see r1 until the commit"
        raise OSError("injected failure")

    monkeypatch.setattr(ingest.publish, fail_at, fail)
    expected = OSError if fail_at == "_activate" else PublishError
    with pytest.raises(expected) as caught:
        publish_release(settings, release_id="r2")
    if fail_at == "_before_postgres_commit":
        assert not isinstance(caught.value, PermanentPublishError)
        assert "Postgres publish to " in str(caught.value) and "(release r2)" in str(caught.value)
        assert "DuckDB serving stays on release r1" in str(caught.value)
    assert serving_release(settings) == ("r1", 1)
    assert postgres_release(postgres_dsn) == ("r1", 1)
    assert release_files(settings) == kept
    leftovers = [p.name for p in settings.serving.parent.rglob(".*")]
    assert not leftovers, leftovers
    monkeypatch.undo()
    publish_release(settings, release_id="r2")  # and the next try goes through
    assert serving_release(settings) == ("r2", 2) and postgres_release(postgres_dsn) == ("r2", 2)


@pytest.mark.postgres
def test_refused_connection_is_retryable_and_moves_nothing(settings: Settings) -> None:
    import socket

    from ingest.publish import PermanentPublishError, PublishError

    with socket.socket() as sock:  # a port nobody listens on
        sock.bind(("127.0.0.1", 0))
        port = sock.getsockname()[1]
    build_marts(settings, agencies=1)
    publish_release(settings, release_id="r1")
    down = settings.model_copy(update={"postgres_dsn": f"postgresql://postgres@127.0.0.1:{port}/cchc"})
    with pytest.raises(PublishError, match="Connection refused") as caught:
        publish_release(down, release_id="r2")
    assert not isinstance(caught.value, PermanentPublishError)
    assert serving_release(settings) == ("r1", 1)


def test_release_with_same_inputs_follows_the_load_manifest_and_the_dbt_project(settings: Settings) -> None:
    from ingest.publish import nothing_new, release_with_same_inputs

    (settings.dbt_project_dir / "models").mkdir(parents=True)
    model = settings.dbt_project_dir / "models" / "m.sql"
    model.write_text("select 1")

    def load(sha: str) -> None:
        with warehouse.connect(settings.warehouse, raw=settings.raw_warehouse) as con:
            con.execute("insert into raw.load_manifest (file_sha256, source_file, source_kind, "
                        "partitions, rows_read, rows_loaded, rows_quarantined, loaded_at) "
                        "values (?, 'f.csv', 'dossiers', '[\"2020-01\"]', 1, 1, 0, now())", [sha])

    build_marts(settings, agencies=1)
    assert release_with_same_inputs(settings) is None  # no manifest, no release
    load("a")
    publish_release(settings, release_id="r1")
    assert release_with_same_inputs(settings).release_id == "r1"
    assert "release r1 was built from the same 1 source files" in str(nothing_new(settings))
    load("b")
    assert release_with_same_inputs(settings) is None and nothing_new(settings) is None
    publish_release(settings, release_id="r2")
    rollback(settings)  # r1 current; the warehouse still matches r2: nothing new
    assert release_with_same_inputs(settings).release_id == "r2"
    assert "the current release r1 stays" in str(nothing_new(settings))
    model.write_text("select 2")  # a model changed without new data: worth a release
    assert release_with_same_inputs(settings) is None


def test_redact_dsn_and_permanent_errors() -> None:
    import psycopg2

    from ingest.publish import is_permanent_postgres_error, redact_dsn

    assert redact_dsn("postgresql://u:p%40ss@h:5432/db") == "postgresql://u:***@h:5432/db"
    assert redact_dsn("postgresql://u@h/db") == "postgresql://u@h/db"
    assert redact_dsn("host=h password='a b' dbname=x") == "host=h password=*** dbname=x"
    fatal = 'connection to server at "h", port 5432 failed: FATAL:  {}\n'
    for message in ('database "x" does not exist', 'password authentication failed for user "u"',
                    'role "u" does not exist', 'no pg_hba.conf entry for host "1.2.3.4"'):
        assert is_permanent_postgres_error(psycopg2.OperationalError(fatal.format(message)))
    refused = ('connection to server at "h", port 5432 failed: Connection refused\n'
               "\tIs the server running on that host and accepting TCP/IP connections?")
    assert not is_permanent_postgres_error(psycopg2.OperationalError(refused))
    assert not is_permanent_postgres_error(psycopg2.OperationalError("timeout expired"))
    assert not is_permanent_postgres_error(ValueError("does not exist"))
