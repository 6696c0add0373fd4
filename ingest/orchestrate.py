"""Drive the real Airflow DAGs from the command line (`cchc run`), no scheduler needed.

Airflow runs in subprocesses (its CLI, and dags/local_runner.py calling `dag.test()`),
so this package never imports it.
"""

from __future__ import annotations

import json
import os
import re
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date
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
    return {**env, **settings.to_env()}


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
    run_after: date  # the run covers the last complete data interval before this day
    period: str      # what that interval is, for people: "2020" or "2020-03"

    @property
    def label(self) -> str:
        return f"{self.dag_id} {self.period}"


def landed_periods(settings: Settings) -> tuple[list[int], list[str]]:
    """Years with reports and months (yyyy-mm) with exports in the landing folder."""
    years = sorted({int(p.name) for p in settings.reports_landing.glob("*/*")
                    if p.is_dir() and p.name.isdigit()})
    months = sorted({p.name for p in settings.exports_landing.glob("*/*")
                     if p.is_dir() and len(p.name) == 7 and p.name[4] == "-"})
    return years, months


def _next_month(month: str) -> date:
    year, number = (int(part) for part in month.split("-"))
    return date(year + number // 12, number % 12 + 1, 1)


def plan_runs(years: list[int], months: list[str]) -> list[DagRun]:
    """Loads in period order, then one transform/publish run after the last period."""
    if not years and not months:
        raise OrchestrationError("nothing landed: put reports under landing/reports/<province>/"
                                 "<year>/ and exports under landing/exports/<agency>/<yyyy-mm>/")
    runs = [DagRun("cchc_yearly_reports", date(year + 1, 1, 1), str(year)) for year in years]
    runs += [DagRun("cchc_monthly_exports", _next_month(month), month) for month in months]
    last = max(run.run_after for run in runs)
    runs.append(DagRun("cchc_transform_publish", last, "publish"))
    return runs


def prepare_airflow(env: dict[str, str], log_file: Path) -> None:
    """Create or upgrade the metadata DB (SQLite unless SQL_ALCHEMY_CONN says otherwise)."""
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    _airflow(["db", "migrate"], env, log_file)
    _airflow(["pools", "set", WRITER_POOL, "1", "single DuckDB writer"], env, log_file)


def run_dags(runs: list[DagRun], env: dict[str, str], log_file: Path) -> Iterator[dict]:
    """Run the plan in one Airflow process (dags/local_runner.py); yield each finished run."""
    plan = json.dumps([{"dag_id": r.dag_id, "run_after": r.run_after.isoformat()} for r in runs])
    log_offset = log_file.stat().st_size if log_file.exists() else 0
    runner = Path(env["AIRFLOW__CORE__DAGS_FOLDER"]) / "local_runner.py"
    proc = subprocess.Popen(
        [sys.executable, str(runner), "--log-file", str(log_file)],
        env=env, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True,
    )
    proc.stdin.write(plan)
    proc.stdin.close()
    for line in proc.stdout:
        event = json.loads(line)
        if "error" in event:
            raise OrchestrationError(event["error"])
        yield event
    if proc.wait() != 0:
        raise OrchestrationError(
            f"a DAG run failed. The errors it raised:\n{_errors_in(log_file, log_offset)}\n"
            f"Full Airflow log: {log_file}"
        )


def _errors_in(log_file: Path, offset: int) -> str:
    """The exception lines a failed run logged (deduplicated), not pages of task log."""
    with open(log_file, encoding="utf-8", errors="replace") as handle:
        handle.seek(offset)
        lines = [line.strip() for line in handle if _ERROR_LINE.search(line)]
    unique = list(dict.fromkeys(line[:1000] for line in lines))
    return "\n".join(f"  {line}" for line in unique[-8:]) or "  (none logged; see the full log)"


_ERROR_LINE = re.compile(r"^\w[\w.]*(Error|Exception|Failed): ")
