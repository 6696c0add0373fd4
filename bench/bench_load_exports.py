"""Benchmark: load a 1-million-row dossier CSV with ingest.exports.load_export, and the
per-file fixed cost on the committed sample tree.

Generates the CSV with the sample generator (one file: the dossiers of one busy agency
over a year, rows concatenated), then loads it into a fresh DuckDB warehouse in a *child
process* so that its peak resident memory (VmHWM) measures the load alone. A second
child loads every file of data/samples/exports (hundreds of small monthly files) into
another fresh warehouse, one load_export call per file on one connection, as `cchc
load-export` does: its time per file is the fixed cost of a load. Writes
bench/results/load_exports_<rows>.json and prints the same JSON.

    .venv/bin/python bench/bench_load_exports.py [--rows 1000000] [--keep DIR] [--samples DIR]
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
    """One CSV of exactly `rows` generated dossiers (Nha Trang's files, scaled up); one
    kept from an earlier run (--keep) is used again."""
    import duckdb

    target = workdir / f"hoso_{rows}.csv"
    if target.is_file():
        return target

    from ingest.sample import build_plan, generate_exports

    agency = "000.00.31.H34"
    plan = build_plan(2020, 1.0)
    per_scale = int(plan.received[[a.code for a in plan.agencies].index(agency)].sum())
    scale = rows / per_scale * 1.02 + 0.01  # a little more than needed, trimmed below
    out = workdir / "generated"
    generate_exports(out, scale=scale, agencies=[agency])
    con = duckdb.connect()
    con.execute(
        f"copy (select * from read_csv('{out.as_posix()}/{agency}/*/hoso_*.csv', header=true, "
        f"all_varchar=true) limit {rows}) to '{target.as_posix()}' (format csv, header true)")
    con.close()
    return target


def peak_rss_mib() -> float:
    """This process's peak resident memory. VmHWM belongs to the process's own address
    space; ru_maxrss would also count the parent's peak inherited through fork and exec."""
    try:
        with open("/proc/self/status", encoding="ascii") as status:
            for line in status:
                if line.startswith("VmHWM:"):
                    return round(int(line.split()[1]) / 1024, 1)
    except OSError:
        pass
    return round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)


def child(path: str, warehouse: str) -> None:
    """Runs in a fresh interpreter: load the file, print timings and ru_maxrss as JSON."""
    from ingest.exports import load_export
    from ingest.warehouse import connect

    con = connect(Path(warehouse))
    started = time.perf_counter()
    cpu = time.process_time()
    result = load_export(con, Path(path))
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    con.close()
    print(json.dumps({"seconds": seconds, "cpu_seconds": cpu, "rows_read": result.rows_read,
                      "rows_loaded": result.rows_loaded, "rows_quarantined": result.rows_quarantined,
                      "peak_rss_mib": peak_rss_mib()}))


def child_tree(folder: str, warehouse: str) -> None:
    """Runs in a fresh interpreter: load every export under `folder`, one call per file."""
    from ingest.exports import load_export
    from ingest.exports.loader import EXPORT_SUFFIXES
    from ingest.warehouse import connect

    files = sorted(p for p in Path(folder).rglob("*") if p.suffix.lower() in EXPORT_SUFFIXES)
    con = connect(Path(warehouse))
    started = time.perf_counter()
    cpu = time.process_time()
    rows = sum(load_export(con, path).rows_read for path in files)
    seconds = time.perf_counter() - started
    cpu = time.process_time() - cpu
    con.close()
    print(json.dumps({"files": len(files), "rows_read": rows, "seconds": seconds,
                      "cpu_seconds": cpu, "peak_rss_mib": peak_rss_mib()}))


def _run_child(*args: str) -> dict:
    proc = subprocess.run([sys.executable, __file__, *args], capture_output=True, text=True,
                          check=True, cwd=REPO)
    return json.loads(proc.stdout.strip().splitlines()[-1])


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--keep", type=Path, help="keep the generated CSV in this folder")
    parser.add_argument("--samples", type=Path, default=REPO / "data" / "samples" / "exports",
                        help="tree of small exports for the per-file cost")
    args = parser.parse_args()
    from ingest.exports.loader import MEMORY_LIMIT

    load_average = os.getloadavg()[0]
    with tempfile.TemporaryDirectory(prefix="cchc-bench-") as tmp:
        workdir = args.keep or Path(tmp)
        workdir.mkdir(parents=True, exist_ok=True)
        reused = (workdir / f"hoso_{args.rows}.csv").is_file()
        started = time.perf_counter()
        csv_path = make_csv(args.rows, workdir)
        generate_seconds = None if reused else round(time.perf_counter() - started, 2)
        load = _run_child("--child", str(csv_path), str(Path(tmp) / "bench.duckdb"))
        size = csv_path.stat().st_size
        tree = _run_child("--child-tree", str(args.samples), str(Path(tmp) / "tree.duckdb"))
    result = {
        "benchmark": "load_exports",
        "rows": args.rows,
        "csv_mib": round(size / 2**20, 1),
        "generate_seconds": generate_seconds,  # null: a kept CSV was used again
        "load_seconds": round(load["seconds"], 2),
        "rows_per_second": round(load["rows_read"] / load["seconds"]),
        "mib_per_second": round(size / 2**20 / load["seconds"], 1),
        "cpu_seconds": round(load["cpu_seconds"], 2),
        "peak_rss_mib": load["peak_rss_mib"],
        "memory_limit": MEMORY_LIMIT,
        "rows_loaded": load["rows_loaded"],
        "rows_quarantined": load["rows_quarantined"],
        "sample_tree": {
            "files": tree["files"],
            "rows_read": tree["rows_read"],
            "seconds": round(tree["seconds"], 2),
            "ms_per_file": round(tree["seconds"] / max(tree["files"], 1) * 1000, 1),
            "cpu_ms_per_file": round(tree["cpu_seconds"] / max(tree["files"], 1) * 1000, 1),
            "peak_rss_mib": tree["peak_rss_mib"],
        },
        "load_average_at_start": round(load_average, 2),
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
    elif len(sys.argv) == 4 and sys.argv[1] == "--child-tree":
        sys.path.insert(0, str(REPO))
        child_tree(sys.argv[2], sys.argv[3])
    else:
        sys.path.insert(0, str(REPO))
        raise SystemExit(main())
