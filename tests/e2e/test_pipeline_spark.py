"""`cchc run --target spark` drives the same Airflow DAGs with dbt on Spark (session mode):
raw goes to the Parquet lake, Spark builds the marts, the gate checks them and a release
is published. The marts must hold what raw holds."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import duckdb
import pytest

from ingest import warehouse as wh
from tests.conftest import pipeline_env
from tests.dbt.test_spark import require_java

pytestmark = pytest.mark.slow
CCHC = str(Path(sys.executable).parent / "cchc")


def test_cchc_run_on_the_spark_target_publishes_a_checked_release(tmp_path: Path) -> None:
    require_java()
    env = pipeline_env(tmp_path)
    proc = subprocess.run([CCHC, "run", "--target", "spark", "--year", "2020", "--month", "2020-12"],
                          env=env, capture_output=True, text=True, timeout=1500)
    assert proc.returncode == 0, proc.stdout[-3000:] + proc.stderr[-3000:]

    warehouse = Path(env["CCHC_WAREHOUSE"])
    lake_months = {p.name for p in (warehouse.parent / "lake").rglob("partition_month=*")}
    assert lake_months == {"partition_month=2020-12"}
    assert list((warehouse.parent / "spark" / "warehouse").rglob("*.parquet")), "Spark built no tables"

    with wh.connect(warehouse, read_only=True) as con:
        raw_dossiers, raw_figures = con.execute(
            "select (select count(distinct dossier_code) from raw.export_dossiers), "
            "(select count(*) from raw.report_figures)").fetchone()
    with duckdb.connect(env["CCHC_SERVING"], read_only=True) as con:
        release_id, failed = con.execute("select release_id, checks_failed from meta.release").fetchone()
        (dossiers,) = con.execute("select count(*) from marts.fct_dossiers").fetchone()
        (figures,) = con.execute("select count(*) from marts.fct_report_figures").fetchone()
    assert release_id in proc.stdout and failed == 0
    assert dossiers == raw_dossiers > 0
    assert figures == raw_figures > 0
