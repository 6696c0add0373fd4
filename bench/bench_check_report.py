"""Time `cchc check-report SAMPLE --json` as a whole process, against `python -c pass`.

    .venv/bin/python bench/bench_check_report.py [--runs 5] [--report PATH]

The target is under 2 s for the whole process (interpreter start, imports, extraction,
the report checks in an in-memory DuckDB, JSON out). Reports the median and the fastest
of --runs runs, and the interpreter's own start-up as the baseline. Writes
bench/results/check_report.json.
"""

from __future__ import annotations

import argparse
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
RESULTS = ROOT / "bench" / "results" / "check_report.json"
SAMPLE = ROOT / "data" / "samples" / "reports" / "khanh-hoa" / "2020" / "khanh_hoa_2020_cchc_report.txt"
TARGET_SECONDS = 2.0


def timed(command: list[str], runs: int) -> list[float]:
    seconds = []
    for _ in range(runs):
        started = time.perf_counter()
        proc = subprocess.run(command, capture_output=True, text=True, cwd=ROOT)
        seconds.append(time.perf_counter() - started)
        if proc.returncode not in (0, 1):
            raise SystemExit(f"{' '.join(command)} exited {proc.returncode}:\n{proc.stderr[-2000:]}")
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--report", type=Path, default=SAMPLE)
    args = parser.parse_args()
    cchc = Path(sys.executable).with_name("cchc")
    command = ([str(cchc)] if cchc.exists() else [sys.executable, "-m", "ingest.cli"])
    command += ["check-report", str(args.report), "--json"]
    baseline = timed([sys.executable, "-c", "pass"], args.runs)
    check = timed(command, args.runs)
    output = json.loads(subprocess.run(command, capture_output=True, text=True, cwd=ROOT).stdout)
    median = statistics.median(check)
    result = {
        "report": str(args.report.relative_to(ROOT) if args.report.is_relative_to(ROOT) else args.report),
        "checks": len(output["checks"]),
        "failed": [c["rule"] for c in output["checks"] if not c["success"]],
        "runs": args.runs,
        "seconds_median": round(median, 3),
        "seconds_min": round(min(check), 3),
        "python_start_seconds_median": round(statistics.median(baseline), 3),
        "target_seconds": TARGET_SECONDS,
        "within_target": median < TARGET_SECONDS,
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
