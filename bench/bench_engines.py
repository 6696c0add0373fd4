"""Time `dbt build` of the sample on each engine: DuckDB, Postgres and Spark (session).

    .venv/bin/python bench/bench_engines.py [--engines duckdb,postgres,spark]
        [--postgres-dsn postgresql://postgres@127.0.0.1:5432/postgres]

Loads the repo's sample (one report, twelve months of exports) into a temporary DuckDB
warehouse once, then for each engine times what the pipeline does around dbt
(Postgres: mirror raw; Spark: export the Parquet lake, bring the marts back) apart from
the `dbt build` itself (wall time of the dbt process, Spark's start-up included).
A scratch Postgres database is created and dropped. Writes bench/results/engines.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import shutil
import sys
import tempfile
import time
import uuid
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))

from ingest import warehouse  # noqa: E402
from ingest.lake import export_lake, load_spark_marts  # noqa: E402
from ingest.settings import Settings  # noqa: E402
from ingest.transform import dbt_target_path, run_dbt  # noqa: E402
from tests.dbt.marts import load_sample  # noqa: E402

RESULTS = REPO / "bench" / "results" / "engines.json"


def timed(step) -> tuple[float, object]:
    started = time.perf_counter()
    value = step()
    return round(time.perf_counter() - started, 1), value


def bench_duckdb(raw: Path, tmp: Path) -> dict:
    settings = Settings(warehouse=tmp / "duckdb" / "cchc.duckdb", dbt_target="duckdb")
    settings.warehouse.parent.mkdir()
    shutil.copy(raw, settings.warehouse)
    seconds, _ = timed(lambda: run_dbt(["build"], settings, capture=True))
    return {"dbt_build_seconds": seconds}


def bench_postgres(raw: Path, tmp: Path, admin_dsn: str) -> dict:
    import psycopg2

    name = f"cchc_bench_{uuid.uuid4().hex[:8]}"
    admin = psycopg2.connect(admin_dsn)
    admin.autocommit = True
    with admin.cursor() as cur:
        cur.execute(f"create database {name}")
    try:
        dsn = f"{admin_dsn.rpartition('/')[0]}/{name}"
        settings = Settings(warehouse=raw, dbt_target="postgres", postgres_dsn=dsn)
        with warehouse.connect(raw, read_only=True) as con:
            mirror, _ = timed(lambda: warehouse.copy_raw_to_postgres(con, dsn))
        seconds, _ = timed(lambda: run_dbt(["build"], settings, capture=True))
        return {"mirror_raw_seconds": mirror, "dbt_build_seconds": seconds}
    finally:
        with admin.cursor() as cur:
            cur.execute(f"drop database if exists {name} with (force)")
        admin.close()


def bench_spark(raw: Path, tmp: Path) -> dict:
    settings = Settings(warehouse=tmp / "spark" / "cchc.duckdb", dbt_target="spark")
    settings.warehouse.parent.mkdir()
    shutil.copy(raw, settings.warehouse)
    with warehouse.connect(settings.warehouse) as con:
        export, _ = timed(lambda: export_lake(con, settings.lake))
    seconds, _ = timed(lambda: run_dbt(["build"], settings, capture=True))
    results = json.loads((dbt_target_path(settings) / "run_results.json").read_text())
    on_run_start = next(r["execution_time"] for r in results["results"]
                    if r["unique_id"].startswith("operation.cchc.cchc-on-run-start"))
    with warehouse.connect(settings.warehouse) as con:
        back, _ = timed(lambda: load_spark_marts(
            con, settings.spark_warehouse, dbt_target_path(settings) / "manifest.json"))
    return {"export_lake_seconds": export, "dbt_build_seconds": seconds,
            "on_run_start_seconds": round(on_run_start, 1), "marts_back_seconds": back}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--engines", default="duckdb,postgres,spark")
    parser.add_argument("--postgres-dsn", default=os.environ.get(
        "CCHC_TEST_PG_DSN", "postgresql://postgres@127.0.0.1:5432/postgres"))
    args = parser.parse_args()
    engines = args.engines.split(",")
    result: dict = {"engines": {}}
    with tempfile.TemporaryDirectory(prefix="cchc-bench-engines-") as tmp_dir:
        tmp = Path(tmp_dir)
        os.environ["DBT_TARGET_PATH"] = str(tmp / "target")
        os.environ["DBT_LOG_PATH"] = str(tmp / "logs")
        raw = tmp / "sample.duckdb"
        result["load_sample_seconds"], _ = timed(lambda: load_sample(raw))
        with warehouse.connect(raw, read_only=True) as con:
            result["raw_dossier_rows"] = con.execute("select count(*) from raw.export_dossiers").fetchone()[0]
        for engine in engines:
            if engine == "duckdb":
                result["engines"]["duckdb"] = bench_duckdb(raw, tmp)
            elif engine == "postgres":
                result["engines"]["postgres"] = bench_postgres(raw, tmp, args.postgres_dsn)
            elif engine == "spark":
                result["engines"]["spark"] = bench_spark(raw, tmp)
            print(engine, result["engines"][engine], flush=True)
    result["machine"] = f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}"
    result["date"] = time.strftime("%Y-%m-%d")
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))


if __name__ == "__main__":
    main()
