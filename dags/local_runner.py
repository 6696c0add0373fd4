"""Run planned DAG runs in one process with `dag.test()` (used by `cchc run`).

Parsing the DAG folder and starting Airflow's in-process execution API once, instead
of once per `airflow dags test`, turns minutes into seconds; migrating the metadata DB
and setting the writer pool here too (as `airflow db migrate` and `airflow pools set`
would) saves two more Airflow start-ups, seconds each. Not a DAG file: listed in
.airflowignore. Reads a JSON plan on stdin: [{"dag_id": ..., "run_after": "yyyy-mm-dd",
"conf": {...} or null}],
prints one JSON line per finished run on stdout; Airflow's own logs go to --log-file.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--log-file", required=True, type=Path)
    args = parser.parse_args()
    plan = json.load(sys.stdin)

    # Keep a handle on the real stdout for progress; send everything else to the log.
    progress = os.fdopen(os.dup(1), "w", buffering=1)
    log = open(args.log_file, "a", buffering=1, encoding="utf-8")  # noqa: SIM115 (lives for the process)
    os.dup2(log.fileno(), 1)
    os.dup2(log.fileno(), 2)

    import pendulum
    from airflow.dag_processing.dagbag import BundleDagBag
    from airflow.models.pool import Pool
    from airflow.utils import db
    from cchc_common import WAREHOUSE_WRITER_POOL

    try:
        db.upgradedb()  # creates the metadata DB when new (SQLite unless SQL_ALCHEMY_CONN says otherwise)
        Pool.create_or_update_pool(WAREHOUSE_WRITER_POOL, slots=1, description="single DuckDB writer",
                                   include_deferred=False)
    except Exception as exc:  # any failure ends the run; the log has the traceback
        import traceback

        traceback.print_exc()
        progress.write(json.dumps({"error": f"preparing the Airflow metadata database failed: {exc!r} "
                                            f"(log: {args.log_file})"}) + "\n")
        return 1
    dags_folder = Path(__file__).resolve().parent
    dagbag = BundleDagBag(dag_folder=str(dags_folder), bundle_path=dags_folder)
    if dagbag.import_errors:
        progress.write(json.dumps({"error": f"DAG import errors: {dagbag.import_errors}"}) + "\n")
        return 1
    for run in plan:
        started = time.monotonic()
        # Manual runs cover the last complete data interval before `run_after`.
        dag_run = dagbag.dags[run["dag_id"]].test(logical_date=pendulum.parse(run["run_after"]),
                                                  run_conf=run.get("conf"))
        progress.write(json.dumps({
            "dag_id": run["dag_id"],
            "run_id": dag_run.run_id,
            "state": str(dag_run.state),
            "data_interval_start": dag_run.data_interval_start.isoformat(),
            "seconds": round(time.monotonic() - started, 1),
        }) + "\n")
        if dag_run.state != "success":
            return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
