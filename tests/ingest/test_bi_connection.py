"""The BI connections the README documents list schemas, tables and columns.

Superset adds a dataset through SQLAlchemy's inspector, so every connection string in the
README's "Connecting a BI tool" paragraph is run through it here, taken literally from the
README (only the placeholders are filled in), against a published release: the serving copy
opened read-only, and the Postgres copy as the reader role.
"""

from __future__ import annotations

import re
import tomllib
from pathlib import Path

import duckdb
import pytest
import sqlalchemy
from sqlalchemy.dialects import registry

from ingest.publish import publish_release
from ingest.settings import Settings
from tests.conftest import REPO_ROOT

README = REPO_ROOT / "README.md"
README_PATH = "/ABS/PATH/warehouse/serving/cchc.duckdb"  # the README's placeholder for the serving copy
TABLES = {"dim_agencies", "fct_dossiers", "rpt_province_year_scorecard"}


def documented_uris() -> list[str]:
    """The connection URIs (`scheme://...` in backticks) of the README's BI paragraph and table."""
    text = README.read_text(encoding="utf-8")
    start = text.index("**Connecting a BI tool.**")
    section = text[start:text.index("\n\n**", start + 1)]
    return re.findall(r"`([a-z][a-z0-9+]*://[^`\s]+)`", section)


def register_entry_point_dialects() -> None:
    """Register the dialects pyproject.toml declares, as installing the package does."""
    project = tomllib.loads((REPO_ROOT / "pyproject.toml").read_text(encoding="utf-8"))
    for name, target in project["project"].get("entry-points", {}).get("sqlalchemy.dialects", {}).items():
        module, _, attr = target.partition(":")
        registry.register(name, module, attr)


def build_warehouse(settings: Settings) -> None:
    """Marts shaped like the real ones: keys, dates, decimals, Vietnamese text, comments, a view."""
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema marts")
        con.execute("""
            create table marts.dim_agencies as
            select range as agency_id, 'Sở Tư pháp ' || range as agency_name,
                   date '2020-01-01' as valid_from_date, range % 2 = 0 as is_district
            from range(3)""")
        con.execute("""
            create table marts.fct_dossiers as
            select range as dossier_id, range % 3 as agency_id,
                   timestamp '2020-03-01 08:00:00' + to_hours(range) as received_at
            from range(10)""")
        con.execute("""
            create table marts.rpt_province_year_scorecard as
            select 'Khánh Hòa' as province_name, 2020 as reporting_year,
                   10::bigint as dossiers_received, 0.95::decimal(9, 6) as tolerance""")
        con.execute("create view marts.v_agencies as select agency_id from marts.dim_agencies")
        con.execute("comment on table marts.dim_agencies is 'One row per agency version.'")
        con.execute("comment on column marts.dim_agencies.agency_name is 'Tên cơ quan, có dấu.'")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(warehouse=tmp_path / "w.duckdb",
                    serving=tmp_path / "warehouse" / "serving" / "cchc.duckdb",
                    dbt_project_dir=tmp_path / "dbt", postgres_dsn=None)


def expected_columns(settings: Settings) -> dict[str, list[tuple[str, str | None]]]:
    """(column, comment) per published marts table, in order, as DuckDB itself reports them."""
    with duckdb.connect(str(settings.serving), read_only=True) as con:
        rows = con.execute("""
            select table_name, column_name, comment from duckdb_columns()
            where schema_name = 'marts' and table_name in ?
            order by table_name, column_index""", [sorted(TABLES)]).fetchall()
    columns: dict[str, list[tuple[str, str | None]]] = {}
    for table, column, comment in rows:
        columns.setdefault(table, []).append((column, comment))
    return columns


def assert_inspector_lists_marts(engine: sqlalchemy.Engine, schemas: set[str],
                                 expected: dict[str, list[tuple[str, str | None]]]) -> None:
    inspector = sqlalchemy.inspect(engine)
    assert schemas & set(inspector.get_schema_names()), inspector.get_schema_names()
    assert TABLES <= set(inspector.get_table_names(schema="marts"))
    for table in sorted(TABLES):
        columns = inspector.get_columns(table, schema="marts")
        assert [(c["name"], c["comment"]) for c in columns] == expected[table]
        assert all(not isinstance(c["type"], sqlalchemy.types.NullType) for c in columns), columns
    assert inspector.get_table_comment("dim_agencies", schema="marts") == {
        "text": "One row per agency version."}
    # What Superset does next: reflect the table and query it.
    table = sqlalchemy.Table("dim_agencies", sqlalchemy.MetaData(), schema="marts", autoload_with=engine)
    with engine.connect() as con:
        rows = con.execute(sqlalchemy.select(table.c.agency_name).order_by(table.c.agency_id)).scalars()
        assert list(rows) == ["Sở Tư pháp 0", "Sở Tư pháp 1", "Sở Tư pháp 2"]


def test_readme_documents_a_duckdb_and_a_postgres_uri() -> None:
    schemes = {sqlalchemy.engine.make_url(uri).get_backend_name() for uri in documented_uris()}
    assert {"duckdb", "postgresql"} <= schemes, documented_uris()


def test_documented_duckdb_uris_list_columns_of_the_read_only_serving_copy(settings: Settings) -> None:
    register_entry_point_dialects()
    build_warehouse(settings)
    publish_release(settings, release_id="bi-test")
    expected = expected_columns(settings)
    root = str(settings.serving.parent.parent.parent)  # .../warehouse/serving/cchc.duckdb
    uris = [uri for uri in documented_uris() if uri.startswith("duckdb")]
    assert uris, "the README documents no DuckDB connection string"
    for uri in uris:
        assert README_PATH in uri, f"{uri}: expected the placeholder {README_PATH}"
        url = sqlalchemy.engine.make_url(uri.replace("/ABS/PATH", root))
        assert url.query.get("access_mode") == "read_only", f"{uri} must open the serving copy read-only"
        engine = sqlalchemy.create_engine(url)
        try:
            assert_inspector_lists_marts(engine, {"marts", "cchc.marts"}, expected)
            with engine.connect() as con, pytest.raises(sqlalchemy.exc.DBAPIError, match="read-only"):
                con.execute(sqlalchemy.text("create table marts.mine (x int)"))
        finally:
            engine.dispose()



@pytest.mark.postgres
def test_documented_postgres_uris_list_columns_as_the_reader_role(
    settings: Settings, postgres_dsn: str, reader_role: str
) -> None:
    settings = settings.model_copy(update={"postgres_dsn": postgres_dsn, "postgres_reader_role": reader_role})
    build_warehouse(settings)
    publish_release(settings, release_id="bi-test")
    expected = expected_columns(settings)
    server = sqlalchemy.engine.make_url(postgres_dsn)
    uris = [uri for uri in documented_uris() if uri.startswith("postgresql")]
    assert uris, "the README documents no Postgres connection string"
    for uri in uris:
        documented = sqlalchemy.engine.make_url(uri)
        assert (documented.username, documented.database) == ("cchc_reader", "cchc"), uri
        # The test server: its host, port and database, this test's reader role (trust, no password).
        url = documented.set(username=reader_role, password=None, host=server.host, port=server.port,
                             database=server.database)
        engine = sqlalchemy.create_engine(url)
        try:
            assert_inspector_lists_marts(engine, {"marts"}, expected)
        finally:
            engine.dispose()
