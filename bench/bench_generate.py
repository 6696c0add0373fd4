"""Benchmark: stream a calibrated year of dossier CSVs with the generator.

Runs `generate_exports(scale=S)` in this process and reports rows/second, bytes written
and peak resident memory (ru_maxrss), to show that --scale 20 (11 million rows) streams
to disk. Writes bench/results/generate_scale_<S>.json.

    .venv/bin/python bench/bench_generate.py [--scale 20] [--out DIR]
"""

from __future__ import annotations

import argparse
import json
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))


def main() -> int:
    from ingest.exports.sampling import manifest_name
    from ingest.sample import generate_exports

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=20.0)
    parser.add_argument("--out", type=Path, help="keep the files here (default: a temp dir)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cchc-gen-") as tmp:
        out = args.out or Path(tmp)
        started = time.perf_counter()
        paths = generate_exports(out, scale=args.scale)
        seconds = time.perf_counter() - started
        manifest = json.loads((out / manifest_name(2020)).read_text(encoding="utf-8"))
        rows = sum(f["rows"] for f in manifest["files"].values())
        size = sum(p.stat().st_size for p in paths)
    result = {
        "benchmark": "generate_exports",
        "scale": args.scale,
        "files": len(paths),
        "rows": rows,
        "gib_written": round(size / 2**30, 2),
        "seconds": round(seconds, 1),
        "rows_per_second": round(rows / seconds),
        "peak_rss_mib": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
        "cpus": os.cpu_count(),
    }
    (REPO / "bench" / "results").mkdir(parents=True, exist_ok=True)
    name = f"generate_scale_{args.scale:g}.json"
    (REPO / "bench" / "results" / name).write_text(json.dumps(result, indent=2) + "\n")
    print(json.dumps(result, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
