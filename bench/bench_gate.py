"""Time the GX gate (the fct_dossiers suite) on one million dossiers in DuckDB.

    .venv/bin/python bench/bench_gate.py [--rows 1000000]

The checks run as SQL inside DuckDB (column expectations and row queries); nothing is
loaded into pandas. Writes bench/results/gate.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import tempfile
import time
from pathlib import Path

import duckdb

from expectations.runner import run_checks
from expectations.suites import fct_dossiers
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
                timestamp '2020-01-01' + to_seconds(i % 31536000 + 400000) as finished_at
            from range({rows}) as t(i)
        """)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=1_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cchc-bench-gate-") as tmp:
        settings = Settings(warehouse=Path(tmp) / "bench.duckdb", gx_dir=Path(tmp) / "gx")
        build(settings.warehouse, args.rows)
        started = time.perf_counter()
        summary = run_checks(settings, run_id="bench", suites=(fct_dossiers,), store=False)
        seconds = time.perf_counter() - started
    result = {
        "rows": args.rows,
        "checks": len(summary.results),
        "failed": [r.check for r in summary.results if not r.success],
        "seconds": round(seconds, 2),
        "machine": f"{platform.machine()}, {platform.python_version()}",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
