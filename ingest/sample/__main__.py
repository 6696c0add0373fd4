"""``python -m ingest.sample OUT_DIR [options]``: the same as ``cchc generate-exports``."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from ingest.sample import COMMITTED_SAMPLES, GenerationError, generate_exports


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description="Write calibrated sample agency exports.")
    parser.add_argument("out_dir", type=Path)
    parser.add_argument("--year", type=int, default=2020)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--months", default="1-12", help="e.g. 1-12, 3, 1-3,7")
    parser.add_argument("--scale", type=float, default=1.0)
    parser.add_argument("--messiness", type=float, default=0.0)
    parser.add_argument("--shape", default="dossiers", help="dossiers, aggregate or both")
    parser.add_argument("--format", default="csv", help="csv, xlsx or both")
    parser.add_argument("--defects", help="comma-separated defect kinds (default: all)")
    parser.add_argument("--style", default="codes", choices=["codes", "labels"],
                        help="the portal's codes, or the labels and agency names people export")
    parser.add_argument("--committed-sample", action="store_true",
                        help="the parameters of data/samples/exports (overrides the others)")
    args = parser.parse_args(argv)
    kwargs = dict(year=args.year, seed=args.seed, months=args.months, scale=args.scale,
                  messiness=args.messiness, shapes=args.shape, formats=args.format,
                  defects=args.defects.split(",") if args.defects else None, style=args.style)
    runs = [kwargs]
    if args.committed_sample:
        runs = [{"months": None, **sample} for sample in COMMITTED_SAMPLES]
    paths = []
    try:
        for run in runs:
            paths += generate_exports(args.out_dir, **run)
    except GenerationError as error:
        print(f"error: {error}", file=sys.stderr)
        return 2
    print(f"wrote {len(paths)} files under {args.out_dir}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
