"""What `cchc run` costs beyond its tasks' work, on the committed sample.

    .venv/bin/python scripts/measure_run_overhead.py [cchc run options, e.g. --month 2020-01]

Runs `cchc run` from an empty warehouse and Airflow home (a temporary folder), then reads
each task's duration from Airflow's metadata DB (SQLite there) and prints, as JSON: the
wall clock of the whole command, the tasks' total, and the overhead per DAG run
((wall - tasks) / DAG runs: Airflow's start-up and metadata DB, the DAG runs' own
bookkeeping, the CLI), with each DAG run's time as the runner reports it beside its tasks'.
"""

from __future__ import annotations

import json
import re
import sqlite3
import subprocess
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
from measure_docs import throwaway_env  # noqa: E402 (a sibling script, not a package)

DAG_LINE = re.compile(r"\[(\d+)/(\d+)\] (?P<dag>\S+) (?P<period>\S+) "
                      r"\((?P<state>\w+), (?P<seconds>[\d.]+)s\)")


def main(args: list[str]) -> int:
    cchc = str(Path(sys.executable).parent / "cchc")
    with tempfile.TemporaryDirectory(prefix="cchc-overhead-") as tmp:
        root = Path(tmp)
        env = throwaway_env(root)
        started = time.perf_counter()
        proc = subprocess.run([cchc, "run", *args], env=env, capture_output=True, text=True)
        wall = time.perf_counter() - started
        if proc.returncode != 0:
            sys.exit(f"`cchc run` failed (exit {proc.returncode}):\n{proc.stderr[-3000:]}")
        with sqlite3.connect(root / "airflow" / "airflow.db") as db:
            tasks = db.execute("select run_id, sum(duration) from task_instance group by run_id "
                               "order by min(start_date)").fetchall()
    runner = [float(m["seconds"]) for m in DAG_LINE.finditer(proc.stderr)]
    labels = [f"{m['dag']} {m['period']}" for m in DAG_LINE.finditer(proc.stderr)]
    task_seconds = sum(seconds for _, seconds in tasks)
    print(json.dumps({
        "command": " ".join(["cchc", "run", *args]),
        "wall_seconds": round(wall, 1),
        "dag_runs": len(runner),
        "task_seconds": round(task_seconds, 1),
        "overhead_seconds_per_dag_run": round((wall - task_seconds) / len(runner), 2),
        "outside_dag_runs_seconds": round(wall - sum(runner), 1),
        "runs": [{"run": label, "seconds": seconds, "task_seconds": round(task, 2)}
                 for label, seconds, (_, task) in zip(labels, runner, tasks, strict=True)],
    }, indent=1))
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
