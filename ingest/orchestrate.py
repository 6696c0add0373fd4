"""Drive the real Airflow DAGs from the command line (`cchc run`), no scheduler needed.

Airflow runs in subprocesses (`airflow dags test`), so this package never imports it.
"""

from __future__ import annotations

import os
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

from ingest.settings import REPO_ROOT, Settings

WRITER_POOL = "duckdb_writer"


class OrchestrationError(RuntimeError):
    pass


def airflow_env(settings: Settings) -> dict[str, str]:
    """Airflow settings for local runs; anything already set in the environment wins."""
    env = dict(os.environ)
    defaults = {
        "AIRFLOW_HOME": str(REPO_ROOT / ".airflow"),
        "AIRFLOW__CORE__DAGS_FOLDER": str(REPO_ROOT / "dags"),
        "AIRFLOW__CORE__LOAD_EXAMPLES": "False",
        "AIRFLOW__CORE__UNIT_TEST_MODE": "False",
        "AIRFLOW__COSMOS__ENABLE_TELEMETRY": "False",
        "AIRFLOW__LOGGING__LOGGING_LEVEL": "INFO",
        "DBT_SEND_ANONYMOUS_USAGE_STATS": "false",
    }
    for key, value in defaults.items():
        env.setdefault(key, value)
    # The DAG tasks read the same settings as this process.
    env["CCHC_WAREHOUSE"] = str(settings.warehouse.resolve())
    env["CCHC_SERVING"] = str(settings.serving.resolve())
    env["CCHC_LANDING"] = str(settings.landing.resolve())
    env["CCHC_DBT_PROJECT_DIR"] = str(settings.dbt_project_dir.resolve())
    env["CCHC_DBT_TARGET"] = settings.dbt_target
    if settings.postgres_dsn:
        env["CCHC_POSTGRES_DSN"] = settings.postgres_dsn
    return env


def _airflow(args: list[str], env: dict[str, str], log_file: Path) -> None:
    airflow = str(Path(sys.executable).parent / "airflow")
    with open(log_file, "a", encoding="utf-8") as log:
        log.write(f"\n$ airflow {' '.join(args)}\n")
        log.flush()
        proc = subprocess.run([airflow, *args], env=env, stdout=log, stderr=subprocess.STDOUT)
    if proc.returncode != 0:
        tail = log_file.read_text(encoding="utf-8", errors="replace").splitlines()[-40:]
        raise OrchestrationError(
            f"`airflow {' '.join(args)}` failed (exit {proc.returncode}). Last lines of "
            f"{log_file}:\n" + "\n".join(tail)
        )


@dataclass(frozen=True)
class DagRun:
    dag_id: str
    logical_date: str  # yyyy-mm-dd

    @property
    def label(self) -> str:
        return f"{self.dag_id} {self.logical_date}"


def landed_periods(settings: Settings) -> tuple[list[int], list[str]]:
    """Years with reports and months (yyyy-mm) with exports in the landing folder."""
    years = sorted({int(p.name) for p in settings.reports_landing.glob("*/*")
                    if p.is_dir() and p.name.isdigit()})
    months = sorted({p.name for p in settings.exports_landing.glob("*/*")
                     if p.is_dir() and len(p.name) == 7 and p.name[4] == "-"})
    return years, months


def plan_runs(years: list[int], months: list[str]) -> list[DagRun]:
    """Loads in period order, then one transform/publish run dated by the last period."""
    runs = [DagRun("cchc_yearly_reports", f"{year}-01-01") for year in years]
    runs += [DagRun("cchc_monthly_exports", f"{month}-01") for month in months]
    last = max([f"{m}-01" for m in months] + [f"{y}-01-01" for y in years], default=None)
    if last is None:
        raise OrchestrationError("nothing landed: put reports under landing/reports/<province>/"
                                 "<year>/ and exports under landing/exports/<agency>/<yyyy-mm>/")
    runs.append(DagRun("cchc_transform_publish", last))
    return runs


def prepare_airflow(env: dict[str, str], log_file: Path) -> None:
    """Create or upgrade the metadata DB (SQLite unless SQL_ALCHEMY_CONN says otherwise)."""
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    _airflow(["db", "migrate"], env, log_file)
    _airflow(["pools", "set", WRITER_POOL, "1", "single DuckDB writer"], env, log_file)


def run_dag(run: DagRun, env: dict[str, str], log_file: Path) -> float:
    started = time.monotonic()
    _airflow(["dags", "test", run.dag_id, run.logical_date], env, log_file)
    return time.monotonic() - started
