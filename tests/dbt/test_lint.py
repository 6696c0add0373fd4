"""sqlfluff (duckdb dialect, dbt templater; settings in the repo's .sqlfluff) passes on
every dbt model. The dbt templater compiles the project, so it gets a throw-away
warehouse (and its raw file) and its own dbt target/log folders."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.conftest import REPO_ROOT

pytestmark = pytest.mark.slow
SQLFLUFF = str(Path(sys.executable).parent / "sqlfluff")


def test_dbt_models_pass_sqlfluff(tmp_path: Path) -> None:
    from ingest.warehouse import connect

    # The profile attaches the raw file read-only: it must exist, as `cchc` makes it.
    connect(tmp_path / "lint.duckdb").close()
    env = {
        **os.environ,
        "CCHC_WAREHOUSE": str(tmp_path / "lint.duckdb"),
        "CCHC_DBT_TARGET": "duckdb",
        "DBT_TARGET_PATH": str(tmp_path / "target"),
        "DBT_LOG_PATH": str(tmp_path / "logs"),
    }
    proc = subprocess.run(
        [SQLFLUFF, "lint", "dbt_project/models", "--disable-progress-bar", "--nocolor"],
        cwd=REPO_ROOT, env=env, capture_output=True, text=True, timeout=600,
    )
    assert proc.returncode == 0, proc.stdout[-6000:] + proc.stderr[-3000:]
