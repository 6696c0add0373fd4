"""Publishing swaps the read-only serving copy atomically; open readers keep their release."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import pytest

from ingest.publish import publish_release
from ingest.settings import Settings


def build_marts(settings: Settings, agencies: int) -> None:
    with duckdb.connect(str(settings.warehouse)) as con:
        con.execute("create schema if not exists marts")
        con.execute("create schema if not exists staging")
        con.execute(
            f"create or replace table marts.dim_agencies as select range as id from range({agencies})"
        )
        con.execute("create or replace table staging.not_published as select 1 as x")
        con.execute("create or replace view marts.v as select 1 as x")


@pytest.fixture
def settings(tmp_path: Path) -> Settings:
    return Settings(warehouse=tmp_path / "w.duckdb", serving=tmp_path / "serving" / "cchc.duckdb")


def test_publish_copies_only_published_schemas_with_release_metadata(settings: Settings) -> None:
    build_marts(settings, agencies=3)
    result = publish_release(settings, release_id="manual__2020-12-01T00:00:00+00:00")
    assert result["tables"] == {"marts.dim_agencies": 3}
    with duckdb.connect(str(settings.serving), read_only=True) as con:
        release_id, tables = con.execute("select release_id, tables from meta.release").fetchone()
        schemas = {
            row[0] for row in con.execute("select schema_name from information_schema.schemata").fetchall()
        }
    assert release_id == "manual__2020-12-01T00:00:00+00:00"
    assert json.loads(tables) == {"marts.dim_agencies": 3}
    assert "staging" not in schemas
    assert not list(settings.serving.parent.glob(".*.tmp")), "no staging file left behind"


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
    with duckdb.connect(str(settings.serving), read_only=True) as con:
        assert con.execute("select release_id from meta.release").fetchone() == ("r1",)
