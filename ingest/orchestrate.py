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


class PeriodError(OrchestrationError):
    """A --year or --month that cannot be run (malformed, impossible, nothing landed)."""


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
    conf: dict | None = None  # the DAG run's params (conf), e.g. {"rebuild": True}

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


MONTH = re.compile(r"\d{4}-(0[1-9]|1[0-2])")
# Years a report (or an export month) can be about; the DAGs start in 2018 and 2020.
PLAUSIBLE_YEARS = range(1900, 2200)


def _spans(periods: list[str]) -> str:
    """2020-01, 2020-02, 2020-03, 2020-05 -> "2020-01..2020-03, 2020-05" (years alike)."""
    def index(period: str) -> int:
        year, _, month = period.partition("-")
        return int(year) * 12 + int(month or 1) - 1

    spans: list[list[str]] = []
    for period in periods:
        if spans and index(period) == index(spans[-1][-1]) + 1:
            spans[-1].append(period)
        else:
            spans.append([period])
    return ", ".join(span[0] if len(span) == 1 else f"{span[0]}..{span[-1]}" for span in spans)


def check_periods(years: list[int], months: list[str], landed_years: list[int],
                  landed_months: list[str]) -> None:
    """Raise PeriodError (one line) for a malformed or impossible --year/--month, or one
    with nothing landed; nothing is run then, so nothing is published."""
    for month in months:
        if not MONTH.fullmatch(month):
            raise PeriodError(f"--month {month!r} is not a month: use yyyy-mm with a month "
                              "01 to 12, e.g. 2020-03")
        if int(month[:4]) not in PLAUSIBLE_YEARS:
            raise PeriodError(f"--month {month}: {month[:4]} is not a plausible year")
    for year in years:
        if year not in PLAUSIBLE_YEARS:
            raise PeriodError(f"--year {year} is not a plausible report year (yyyy, "
                              f"{PLAUSIBLE_YEARS.start}-{PLAUSIBLE_YEARS.stop - 1})")
    missing_years = sorted(set(years) - set(landed_years))
    if missing_years:
        raise PeriodError(
            f"no reports landed for --year {', '.join(map(str, missing_years))} (landed report "
            f"years: {_spans([str(y) for y in landed_years]) or 'none'}); land them under "
            "reports/<province>/<year>/")
    missing_months = sorted(set(months) - set(landed_months))
    if missing_months:
        raise PeriodError(
            f"no exports landed for --month {', '.join(missing_months)} (landed months: "
            f"{_spans(landed_months) or 'none'}); land them under exports/<agency>/<yyyy-mm>/")


def _next_month(month: str) -> date:
    year, number = (int(part) for part in month.split("-"))
    return date(year + number // 12, number % 12 + 1, 1)


def full_history_wanted(years: list[int], months: list[str], *, asked: bool) -> bool:
    """The --year and --month given: a run of everything landed (neither), of --year (the
    yearly run, as new reports trigger it in Airflow) or with --full-history (`asked`)
    tests the whole history; --month alone is a month's build."""
    return asked or bool(years) or not months


def plan_runs(years: list[int], months: list[str], *, rebuild: bool = False,
              full_history: bool = False) -> list[DagRun]:
    """Loads in period order, then one transform/publish run after the last period
    (`rebuild`: publish a release even if the loads add nothing new; `full_history`:
    run dbt's full-history tests, else the transform builds and tests the months)."""
    if not years and not months:
        raise OrchestrationError("nothing landed: put reports under landing/reports/<province>/"
                                 "<year>/ and exports under landing/exports/<agency>/<yyyy-mm>/")
    runs = [DagRun("cchc_yearly_reports", date(year + 1, 1, 1), str(year)) for year in sorted(set(years))]
    runs += [DagRun("cchc_monthly_exports", _next_month(month), month) for month in sorted(set(months))]
    last = max(run.run_after for run in runs)
    conf = {key: True for key, wanted in (("rebuild", rebuild), ("full_history", full_history))
            if wanted}
    runs.append(DagRun("cchc_transform_publish", last, "publish", conf or None))
    return runs


def prepare_airflow(env: dict[str, str], log_file: Path) -> None:
    """Create or upgrade the metadata DB (SQLite unless SQL_ALCHEMY_CONN says otherwise)
    and the writer pool, for a scheduler to run on (`cchc run`'s runner does the same itself)."""
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
    _airflow(["db", "migrate"], env, log_file)
    _airflow(["pools", "set", WRITER_POOL, "1", "single DuckDB writer"], env, log_file)


def run_dags(runs: list[DagRun], env: dict[str, str], log_file: Path) -> Iterator[dict]:
    """Run the plan in one Airflow process (dags/local_runner.py: it first migrates the
    metadata DB and sets the writer pool); yield each finished run."""
    plan = json.dumps([{"dag_id": r.dag_id, "run_after": r.run_after.isoformat(), "conf": r.conf}
                       for r in runs])
    Path(env["AIRFLOW_HOME"]).mkdir(parents=True, exist_ok=True)
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
