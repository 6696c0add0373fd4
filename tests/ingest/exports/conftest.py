"""Fixtures for the export loader tests: a fresh DuckDB warehouse and the committed sample."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest

from ingest.settings import REPO_ROOT
from ingest.warehouse import connect

SAMPLE_DIR = REPO_ROOT / "data" / "samples" / "exports"


@pytest.fixture
def con(tmp_path: Path) -> Iterator[duckdb.DuckDBPyConnection]:
    connection = connect(tmp_path / "w.duckdb")
    yield connection
    connection.close()


@pytest.fixture(scope="session")
def sample_files() -> list[Path]:
    files = sorted(SAMPLE_DIR.rglob("*.csv"))
    assert files, f"no committed sample under {SAMPLE_DIR}: run python -m ingest.sample"
    return files
