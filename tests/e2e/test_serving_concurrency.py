"""Readers never wait for loads: an analyst keeps querying the published serving copy
while a load, build, gate and publish of the next month runs in another process. Both
succeed, every answer the reader gets is one whole release, and a fresh open sees the new
release. (On a copy of the session's sample build, tests/conftest.py's sample_build; the
next month is 2021-01, written by `cchc generate-exports`, so the run loads, builds and
publishes something new.)"""

from __future__ import annotations

import json
import subprocess
import sys
import threading
import time
from pathlib import Path

import duckdb
import pytest

from tests.conftest import SAMPLES, copy_build

pytestmark = pytest.mark.slow
CCHC = str(Path(sys.executable).parent / "cchc")

# One statement that reads several marts and the release's own row counts, so a mix of
# two releases (or a half-written file) would show as a mismatch.
SNAPSHOT = """
select
    (select release_id from meta.release) as release_id,
    (select tables from meta.release) as tables,
    (select count(*) from marts.fct_dossiers) as fct_dossiers,
    (select count(*) from marts.dim_agencies) as dim_agencies,
    (select count(*) from marts.rpt_agency_monthly_performance) as monthly,
    (select sum(dossiers_received) from marts.rpt_agency_monthly_performance) as received
"""
# A deliberately slow query (about a second here), so queries are in flight when the swap happens.
SLOW = "select sum(hash(d.dossier_id, r.range)) from marts.fct_dossiers as d, range(200000) as r"


def landing_with_next_month(landing: Path) -> Path:
    """The sample landing folder (linked, not copied) plus exports of January 2021."""
    (landing / "exports").mkdir(parents=True)
    (landing / "reports").symlink_to(SAMPLES / "reports")
    for source in (SAMPLES / "exports").glob("*/"):
        (landing / "exports" / source.name).mkdir()
        for month in source.iterdir():
            (landing / "exports" / source.name / month.name).symlink_to(month)
    subprocess.run([CCHC, "generate-exports", str(landing / "exports"), "--year", "2021",
                    "--months", "1", "--scale", "0.05"], capture_output=True, text=True, check=True)
    return landing


def test_reader_keeps_querying_while_the_next_month_publishes(sample_build: dict, tmp_path: Path) -> None:
    env = {**copy_build(sample_build, tmp_path)["env"],
           "CCHC_LANDING": str(landing_with_next_month(tmp_path / "landing"))}
    serving = Path(env["CCHC_SERVING"])

    # One thread: the other core is the run's, on a 2-core machine.
    reader = duckdb.connect(str(serving), read_only=True, config={"threads": 1})
    old_release = reader.execute("select release_id from meta.release").fetchone()[0]
    answers: list[tuple] = []
    slow_queries = 0
    errors: list[BaseException] = []
    done = threading.Event()

    def keep_reading() -> None:
        nonlocal slow_queries
        try:
            while not done.is_set():
                answers.append(reader.execute(SNAPSHOT).fetchone())
                reader.execute(SLOW).fetchone()
                slow_queries += 1
        except BaseException as exc:  # reported below, in the test's thread
            errors.append(exc)

    thread = threading.Thread(target=keep_reading)
    thread.start()
    started = time.monotonic()
    next_month = subprocess.run([CCHC, "run", "--month", "2021-01"], env=env, capture_output=True,
                                text=True, timeout=900)
    done.set()
    thread.join(timeout=300)
    reader.close()

    assert next_month.returncode == 0, next_month.stdout[-3000:] + next_month.stderr[-3000:]
    assert not errors, f"the reader failed while the load ran: {errors[0]!r}"
    elapsed = time.monotonic() - started
    assert slow_queries >= 3, f"only {slow_queries} slow queries overlapped a {elapsed:.0f}s run"
    for release_id, tables, fct_dossiers, dim_agencies, monthly, _ in answers:
        counts = json.loads(tables)
        assert release_id == old_release
        assert (fct_dossiers, dim_agencies, monthly) == (
            counts["marts.fct_dossiers"], counts["marts.dim_agencies"],
            counts["marts.rpt_agency_monthly_performance"])

    with duckdb.connect(str(serving), read_only=True) as fresh:
        new_release, tables, fct_dossiers, *_ = fresh.execute(SNAPSHOT).fetchone()
    assert new_release != old_release
    assert new_release in next_month.stdout
    assert fct_dossiers == json.loads(tables)["marts.fct_dossiers"] > answers[0][2]

    listed = json.loads(subprocess.run([CCHC, "releases", "--json"], env=env, capture_output=True,
                                       text=True, check=True).stdout)
    assert [(r["release_id"], r["is_current"]) for r in listed] == [(new_release, True), (old_release, False)]
