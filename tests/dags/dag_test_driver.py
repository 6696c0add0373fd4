"""`dag.test()` runs, one per JSON line on stdin, in one process (tests/dags/airflow_harness.py).

Importing Airflow and starting its in-process execution API cost seconds each time;
a test making several runs on one Airflow home pays them once. Each line is
{"env": {...}, "spec": {...}}: the run's whole environment (the same AIRFLOW_HOME and
metadata DB as this process: Airflow read its configuration at import) and what to run.
Each run parses the DAG folder again, so a spec that changes a DAG's tasks (retries, a
lock) leaves the next run the DAGs as written. Airflow's output goes to the log file
(argv[1]); one JSON line per run goes to stdout.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
import sys
import traceback
from datetime import timedelta
from pathlib import Path

results = os.fdopen(os.dup(1), "w", buffering=1)
log = open(sys.argv[1], "a", buffering=1, encoding="utf-8")  # noqa: SIM115 (lives for the process)
os.dup2(log.fileno(), 1)
os.dup2(log.fileno(), 2)

import pendulum  # noqa: E402 (after the redirect: Airflow logs from import on)
from airflow.dag_processing.dagbag import BundleDagBag  # noqa: E402


def flush_output() -> None:
    """Everything a run printed is in the log file before its result is reported."""
    for handler in logging.root.handlers:
        handler.flush()
    sys.stdout.flush()
    sys.stderr.flush()


def run(spec: dict) -> dict:
    dags = Path(os.environ["AIRFLOW__CORE__DAGS_FOLDER"])
    bag = BundleDagBag(dag_folder=str(dags), bundle_path=dags)
    assert not bag.import_errors, bag.import_errors
    dag = bag.dags[spec["dag_id"]]
    holder = None
    if spec.get("fast_retries"):
        for task in dag.tasks:  # same policy, shorter waits
            task.retry_delay = timedelta(seconds=1)
            task.retry_exponential_backoff = False
    if spec.get("lock_warehouse"):
        # Another process holds the DuckDB file read-write, as an analyst's session would.
        os.makedirs(os.path.dirname(os.environ["CCHC_WAREHOUSE"]), exist_ok=True)
        holder = subprocess.Popen(
            [sys.executable, "-c",
             "import duckdb, sys; con = duckdb.connect(sys.argv[1]); print('locked', flush=True); "
             "sys.stdin.read()", os.environ["CCHC_WAREHOUSE"]],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert holder.stdout.readline().strip() == "locked"

        def release(context):  # the lock goes away between the first and the second try
            holder.stdin.close()
            holder.wait(timeout=30)

        for task in dag.tasks:
            task.on_retry_callback = [release]
    try:
        dag_run = dag.test(logical_date=pendulum.parse(spec["logical_date"]),
                           use_executor=spec.get("use_executor", False), run_conf=spec.get("run_conf"),
                           mark_success_pattern=spec.get("mark_success_pattern"))
    finally:
        if holder and holder.poll() is None:
            holder.kill()
    return {"state": str(dag_run.state), "run_id": dag_run.run_id}


def main() -> int:
    if sys.argv[2:] == ["--migrate"]:  # as `airflow db migrate` would, without its start-up
        from airflow.utils import db

        db.upgradedb()
    for line in sys.stdin:
        request = json.loads(line)
        os.environ.clear()
        os.environ.update(request["env"])
        try:
            result = run(request["spec"])
        except Exception:
            traceback.print_exc()
            result = {"error": traceback.format_exc(limit=5)}
        flush_output()
        results.write(json.dumps(result) + "\n")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
