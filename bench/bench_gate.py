"""Time the GX gate as the pipeline runs it, on ten million dossiers in DuckDB.

    .venv/bin/python bench/bench_gate.py [--rows 1000000]
    .venv/bin/python bench/bench_gate.py --warehouse warehouse/cchc.duckdb --rows 10000000

Without --warehouse: a synthetic marts.fct_dossiers of --rows rows, the fct_dossiers suite.
With --warehouse (a built warehouse, e.g. the sample's after `make run`): a copy of it whose
marts.fct_dossiers is repeated up to --rows rows (ids kept unique), every suite, results
stored, as `validate_warehouse` does. The time starts before `expectations.runner` is
imported (the caller's share of the gate) and ends when the results are stored; CPU
seconds (this process and its children) are recorded too, as the machine may be shared.
Writes bench/results/gate.json, one entry per kind of run (synthetic suite, every suite).
"""

from __future__ import annotations

import argparse
import importlib
import json
import os
import platform
import resource
import shutil
import sys
import tempfile
import time
from datetime import date
from pathlib import Path

import duckdb

from ingest.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results" / "gate.json"


def build(path: Path, rows: int) -> None:
    """A fct_dossiers table with the columns the suite reads, realistic value spread."""
    with duckdb.connect(str(path)) as con:
        con.execute("create schema marts")
        con.execute(f"""
            create table marts.fct_dossiers as
            select
                'KH-' || lpad(cast(i as varchar), 9, '0') as dossier_id,
                '000.00.' || lpad(cast(i % 30 + 1 as varchar), 2, '0') || '.H34' as agency_id,
                case when i % 50 = 0 then 3 when i % 10 = 0 then 2 else 1 end as channel_code,
                '1.00' || lpad(cast(i % 1787 as varchar), 4, '0') as procedure_id,
                timestamp '2020-01-01' + to_seconds(i % 31536000) as received_at,
                timestamp '2020-01-01' + to_seconds(i % 31536000 + 864000) as due_at,
                timestamp '2020-01-01' + to_seconds(i % 31536000 + 400000) as finished_at,
                'exports/2020-' || lpad(cast(i % 12 + 1 as varchar), 2, '0') || '/agency-'
                    || cast(i % 46 as varchar) || '.csv' as source_file,
                cast(i // 552 + 2 as integer) as source_row
            from range({rows}) as t(i)
        """)


def scale_dossiers(path: Path, rows: int, settings: Settings) -> int:
    """Repeat marts.fct_dossiers up to `rows` rows (a suffix keeps dossier_id unique)."""
    with duckdb.connect(str(path), config=settings.duckdb_config) as con:
        present = con.execute("select count(*) from marts.fct_dossiers").fetchone()[0]
        if rows <= present:
            return present
        columns = [name for name, *_ in con.execute("describe marts.fct_dossiers").fetchall()]
        select = ", ".join("dossier_id || '#' || cast(copy as varchar) as dossier_id"
                           if name == "dossier_id" else name for name in columns)
        con.execute(f"""create or replace table marts.fct_dossiers as
            select {select} from marts.fct_dossiers, range({-(-rows // present)}) as c(copy)
            limit {rows}""")
        return rows


def _cpu_seconds() -> float:
    own, children = (resource.getrusage(who) for who in (resource.RUSAGE_SELF, resource.RUSAGE_CHILDREN))
    return own.ru_utime + own.ru_stime + children.ru_utime + children.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--warehouse", type=Path, help="a built warehouse: run every suite on a copy")
    args = parser.parse_args()
    if "expectations.runner" in sys.modules:
        raise RuntimeError("expectations.runner is already imported: its import would not be timed")
    with tempfile.TemporaryDirectory(prefix="cchc-bench-gate-") as tmp:
        settings = Settings(warehouse=Path(tmp) / "bench.duckdb", gx_dir=Path(tmp) / "gx")
        if args.warehouse:
            shutil.copyfile(args.warehouse, settings.warehouse)
            rows = scale_dossiers(settings.warehouse, args.rows, settings)
        else:
            build(settings.warehouse, args.rows)
            rows = args.rows
        load = os.getloadavg()[0]
        cpu, started = _cpu_seconds(), time.perf_counter()
        runner = importlib.import_module("expectations.runner")
        suites = runner.SUITES if args.warehouse else (importlib.import_module(
            "expectations.suites.fct_dossiers"),)
        summary = runner.run_checks(settings, run_id="bench", suites=suites,
                                    store=bool(args.warehouse))
        seconds, cpu = time.perf_counter() - started, _cpu_seconds() - cpu
    result = {
        "date": date.today().isoformat(),
        "rows": rows,
        "warehouse": str(args.warehouse) if args.warehouse else "synthetic fct_dossiers",
        "suites": len(suites),
        "checks": len(summary.results),
        "failed": [r.check for r in summary.failed],
        "warned": [r.check for r in summary.warned],
        "seconds": round(seconds, 2),
        "caller_imported_gx": "great_expectations" in sys.modules,
        "cpu_seconds": round(cpu, 2),
        "load_average_at_start": round(load, 1),
        "machine": f"{platform.machine()}, {os.cpu_count()} cores (shared), "
                   f"Python {platform.python_version()}",
    }
    recorded = json.loads(RESULTS.read_text(encoding="utf-8")) if RESULTS.exists() else {}
    recorded["every_suite" if args.warehouse else "fct_dossiers_suite"] = result
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(recorded, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
