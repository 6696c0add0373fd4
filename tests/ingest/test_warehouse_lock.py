"""One writer, clearly: a second writer waits for the lock, then fails with one line."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from pathlib import Path

import duckdb
import pytest

from ingest import warehouse
from ingest.settings import REPO_ROOT

HOLD = ("import duckdb, sys, time; con = duckdb.connect(sys.argv[1]); "
        "print('held', flush=True); time.sleep(60)")


@pytest.fixture
def held(tmp_path: Path):
    """A warehouse file that another process writes (holds DuckDB's lock)."""
    path = tmp_path / "w.duckdb"
    warehouse.connect(path).close()
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(path)], stdout=subprocess.PIPE, text=True)
    assert holder.stdout.readline().strip() == "held"
    yield path, holder
    holder.kill()
    holder.wait()


def test_a_second_writer_waits_then_gives_up_with_who_holds_it(held) -> None:
    path, holder = held
    waited: list[str] = []
    started = time.monotonic()
    with pytest.raises(warehouse.WarehouseLocked, match=rf"PID {holder.pid}.*gave up after 2 s"):
        warehouse.connect(path, lock_timeout=2, on_wait=waited.append)
    assert 2 <= time.monotonic() - started < 10
    assert len(waited) == 1 and "waiting for another process" in waited[0]
    assert isinstance(warehouse.WarehouseLocked("x"), duckdb.IOException)  # Airflow retries it


def test_the_writer_gets_the_file_once_the_other_one_is_done(held) -> None:
    path, holder = held
    holder.kill()
    holder.wait()
    with warehouse.connect(path, lock_timeout=5) as con:
        assert con.execute("select 1").fetchone() == (1,)


def test_cli_load_export_says_one_line_and_json(held, tmp_path: Path) -> None:
    path, _ = held
    export = tmp_path / "e.csv"
    export.write_text("MaHoSo,DonViXuLy,NgayTiepNhan\nA,000.00.34.H34,02/03/2020\n", encoding="utf-8")
    env = {**os.environ, "CCHC_LOCK_TIMEOUT_SECONDS": "1"}
    proc = subprocess.run([str(REPO_ROOT / ".venv/bin/cchc"), "load-export", str(export),
                           "--warehouse", str(path), "--json"],
                          capture_output=True, text=True, env=env, timeout=120)
    assert proc.returncode == 3
    assert "Traceback" not in proc.stderr
    assert "being written by another process" in " ".join(proc.stderr.split())
    assert "being written by another process" in json.loads(proc.stdout)["error"]
