"""Settings are one frozen object handed to child processes whole; the raw schema's DDL
is the one source of the loaders' column lists."""

from __future__ import annotations

from pathlib import Path

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
