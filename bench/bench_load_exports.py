"""Benchmark: load a 1-million-row dossier CSV with ingest.exports.load_export.

Generates the CSV with the sample generator (one file: the dossiers of one busy agency
over a year, rows concatenated), then loads it into a fresh DuckDB warehouse in a *child
process* so that its peak resident memory (ru_maxrss) measures the load alone. Writes
bench/results/load_exports_<rows>.json and prints the same JSON.

    .venv/bin/python bench/bench_load_exports.py [--rows 1000000] [--keep DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import resource
import subprocess
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
RESULTS = REPO / "bench" / "results"


def make_csv(rows: int, workdir: Path) -> Path:
    """One CSV of exactly `rows` generated dossiers (Nha Trang's files, scaled up)."""
    import duckdb

    from ingest.sample import build_plan, generate_exports

    agency = "000.00.31.H34"
    plan = build_plan(2020, 1.0)
    per_scale = int(plan.received[[a.code for a in plan.agencies].index(agency)].sum())
    scale = rows / per_scale * 1.02 + 0.01  # a little more than needed, trimmed below
    out = workdir / "generated"
    generate_exports(out, scale=scale, agencies=[agency])
    target = workdir / f"hoso_{rows}.csv"
    con = duckdb.connect()
    con.execute(
        f"copy (select * from read_csv('{out.as_posix()}/{agency}/*/hoso_*.csv', header=true, "
        f"all_varchar=true) limit {rows}) to '{target.as_posix()}' (format csv, header true)")
    con.close()
    return target


def child(path: str, warehouse: str) -> None:
    """Runs in a fresh interpreter: load the file, print timings and ru_maxrss as JSON."""
    from ingest.exports import load_export
    from ingest.warehouse import connect

    con = connect(Path(warehouse))
    started = time.perf_counter()
    result = load_export(con, Path(path))
    seconds = time.perf_counter() - started
    con.close()
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    print(json.dumps({"seconds": seconds, "rows_read": result.rows_read,
                      "rows_loaded": result.rows_loaded, "rows_quarantined": result.rows_quarantined,
                      "peak_rss_mib": round(peak_kib / 1024, 1)}))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="keep the generated CSV in this folder")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cchc-bench-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        started = time.perf_counter()
        csv_path = make_csv(args.rows, workdir)
        generate_seconds = time.perf_counter() - started
        proc = subprocess.run(
            [sys.executable, __file__, "--child", str(csv_path), str(Path(tmp) / "bench.duckdb")],
            capture_output=True, text=True, check=True, cwd=REPO)
        load = json.loads(proc.stdout.strip().splitlines()[-1])
        size = csv_path.stat().st_size
    result = {
        "benchmark": "load_exports",
        "rows": args.rows,
        "csv_mib": round(size / 2**20, 1),
        "generate_seconds": round(generate_seconds, 2),
        "load_seconds": round(load["seconds"], 2),
        "rows_per_second": round(load["rows_read"] / load["seconds"]),
        "mib_per_second": round(size / 2**20 / load["seconds"], 1),
        "peak_rss_mib": load["peak_rss_mib"],
        "rows_loaded": load["rows_loaded"],
        "rows_quarantined": load["rows_quarantined"],
        "machine": {"cpus": os.cpu_count(), "python": platform.python_version(),
                    "platform": platform.platform()},
    }
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"load_exports_{args.rows}.json").write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    if len(sys.argv) == 4 and sys.argv[1] == "--child":
        sys.path.insert(0, str(REPO))
        child(sys.argv[2], sys.argv[3])
    else:
        sys.path.insert(0, str(REPO))
        raise SystemExit(main())
