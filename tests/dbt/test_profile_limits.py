"""dbt's DuckDB connection runs under the project's memory cap and spills where the
settings say (dbt_project/profiles.yml reads CCHC_DUCKDB_* from Settings.to_env)."""

from __future__ import annotations

from pathlib import Path

import pytest

from ingest.settings import Settings
from ingest.transform import run_dbt
from ingest.warehouse import connect

pytestmark = pytest.mark.slow


def test_dbt_opens_duckdb_with_the_memory_cap_and_spill_folder(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    settings = Settings(warehouse=tmp_path / "cchc.duckdb", dbt_target="duckdb",
                        duckdb_memory_limit="300MiB", duckdb_temp_directory=tmp_path / "spill")
    connect(settings.warehouse).close()  # the raw file the profile attaches read-only
    out = run_dbt(["show", "--inline",
                   "select current_setting('memory_limit') as cap, "
                   "current_setting('temp_directory') as spill", "--output", "json"],
                  settings, capture=True)
    assert "300.0 MiB" in out, out[-2000:]
    assert str(tmp_path / "spill") in out, out[-2000:]
