"""Settings are one frozen object handed to child processes whole; the raw schema's DDL
is the one source of the loaders' column lists; the raw tables live in their own file,
and a warehouse file from before that moves them there once."""

from __future__ import annotations

from pathlib import Path

import duckdb
import pydantic
import pytest

from ingest import warehouse
from ingest.exports import loader
from ingest.reports import load
from ingest.settings import Settings


def test_settings_are_frozen_and_copied_with_changes(tmp_path: Path) -> None:
    settings = Settings(warehouse=tmp_path / "w" / "cchc.duckdb")
    with pytest.raises(pydantic.ValidationError):
        settings.dbt_target = "postgres"
    changed = settings.model_copy(update={"dbt_target": "postgres"})
    assert (settings.dbt_target, changed.dbt_target) == ("duckdb", "postgres")


def test_folders_default_beside_the_warehouse(tmp_path: Path) -> None:
    settings = Settings(warehouse=tmp_path / "w" / "cchc.duckdb")
    assert settings.gx_dir == tmp_path / "w" / "gx"
    assert settings.lake == str(tmp_path / "w" / "lake")
    assert settings.spark_warehouse == str(tmp_path / "w" / "spark" / "warehouse")
    assert settings.raw_warehouse == tmp_path / "w" / "cchc_raw.duckdb"
    given = Settings(warehouse=tmp_path / "w" / "cchc.duckdb", gx_dir=tmp_path / "elsewhere")
    assert given.gx_dir == tmp_path / "elsewhere"


def test_to_env_round_trips_every_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    settings = Settings(warehouse=tmp_path / "w" / "cchc.duckdb", dbt_target="postgres",
                        postgres_dsn="postgresql://postgres@127.0.0.1:5432/cchc", serving_keep=3)
    env = settings.to_env()
    assert env["CCHC_WAREHOUSE"] == str((tmp_path / "w" / "cchc.duckdb").resolve())
    assert env["CCHC_SERVING_KEEP"] == "3"
    for key, value in env.items():
        monkeypatch.setenv(key, value)
    assert Settings() == settings


def test_loader_column_lists_are_the_raw_tables_columns() -> None:
    assert loader.DOSSIER_INSERT == warehouse.raw_columns("export_dossiers")
    assert loader.AGGREGATE_INSERT == warehouse.raw_columns("export_aggregates")
    assert loader.MANIFEST_COLUMNS == warehouse.raw_columns("load_manifest")
    assert len(loader.MANIFEST_TYPES) == len(loader.MANIFEST_COLUMNS)
    # report figure rows are built in their own order, over the same columns
    assert sorted(load._FIGURE_COLUMNS) == sorted(warehouse.raw_columns("report_figures"))


def test_every_added_column_is_in_the_ddl_last() -> None:
    """A migrated table has the columns of a new one, in the same order."""
    for table, added in warehouse.ADDED_COLUMNS.items():
        names = [column.split()[0] for column in added]
        assert warehouse.raw_columns(table)[-len(names):] == names, table


def test_quote_literal_doubles_quotes() -> None:
    assert warehouse.quote_literal("Sở Nội vụ's") == "'Sở Nội vụ''s'"


def test_raw_tables_live_in_their_own_file_attached_as_raw(tmp_path: Path) -> None:
    path = tmp_path / "cchc.duckdb"
    with warehouse.connect(path) as con:
        con.execute("create schema staging")
        con.execute("create view staging.manifest as select * from raw.load_manifest")
        assert con.execute("select count(*) from staging.manifest").fetchone() == (0,)
    with duckdb.connect(str(path), read_only=True) as plain:  # the warehouse file alone
        catalogs = {row[0] for row in plain.execute("select database_name from duckdb_tables()").fetchall()}
    assert catalogs == set(), "no raw table in the warehouse file"
    with duckdb.connect(str(tmp_path / "cchc_raw.duckdb"), read_only=True) as raw_file:
        tables = {row[0] for row in raw_file.execute("select table_name from duckdb_tables()").fetchall()}
    assert tables == set(warehouse.RAW_DDL)
    with warehouse.connect(path, read_only=True) as reader:
        assert reader.execute("select count(*) from staging.manifest").fetchone() == (0,)


def test_a_warehouse_with_raw_inside_moves_it_to_the_raw_file_once(tmp_path: Path) -> None:
    path = tmp_path / "cchc.duckdb"
    with duckdb.connect(str(path)) as old:  # the layout before the raw file: schema raw
        warehouse.ensure_raw_schema(old)
        old.execute("alter table raw.export_dossiers drop column dossier_code_key")  # older still
        old.execute("insert into raw.export_dossiers (file_sha256, source_file, source_row, "
                    "partition_agency, partition_month, dossier_code, received_at) "
                    "values ('f1', 'a.csv', 1, 'G01', '2020-01', 'D-1', '2020-01-02')")
        old.execute("create schema marts")
        old.execute("create table marts.kept as select 42 as answer")
    with warehouse.connect(path) as con:
        assert con.execute("select dossier_code, dossier_code_key from raw.export_dossiers").fetchall() == [
            ("D-1", None)]
        assert con.execute("select answer from marts.kept").fetchone() == (42,)
        schemas = {row[0] for row in con.execute(
            "select schema_name from duckdb_schemas() where database_name = current_database()").fetchall()}
    assert "raw" not in schemas  # `raw.x` names the raw file's catalog alone
    assert not list(tmp_path.glob(".*moving"))
    with warehouse.connect(path) as again:  # the move is done once; loads see the same rows
        assert again.execute("select count(*) from raw.export_dossiers").fetchone() == (1,)
    with duckdb.connect(str(path)) as older_code:  # an older version wrote raw inside again
        older_code.execute("create schema raw")
    with pytest.raises(RuntimeError, match="hold raw tables"):
        warehouse.connect(path)
