"""`python -m ingest.reports PATH [--format jsonl|table] [--province P] [--year Y]`: print a
report's figures.

stdout carries only the figures (one JSON object per line with jsonl); messages go to
stderr, and bad input exits non-zero.
"""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path

from ingest.reports.extract import extract_report
from ingest.reports.model import ReportError


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m ingest.reports", description=__doc__)
    parser.add_argument("path", type=Path, help="report file (.txt, .pdf, image)")
    parser.add_argument("--format", choices=["jsonl", "table"], default="jsonl")
    parser.add_argument("--province", help="province when the report does not name one "
                        "(\"Khanh Hoa\", \"Khánh Hòa\" or khanh-hoa)")
    parser.add_argument("--year", type=int, help="report year when the report does not state one")
    args = parser.parse_args(argv)
    logging.basicConfig(level=logging.INFO, stream=sys.stderr, format="%(message)s")
    try:
        extraction = extract_report(args.path, province=args.province, year=args.year)
    except ReportError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    out = sys.stdout
    for figure in extraction.figures:
        record = figure.to_json()
        if args.format == "jsonl":
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        else:
            qualifiers = ",".join(f"{k}={v}" for k, v in record["qualifiers"].items())
            denominator = "" if record["denominator"] is None else f"/{record['denominator']}"
            out.write(
                f"{record['line']:>5}  {record['metric']:<40} {qualifiers:<40} "
                f"{record['value']}{denominator}\n"
            )
    out.flush()
    logging.info("%s: %d figures, %d mentions", args.path, len(extraction.figures), len(extraction.mentions))
    return 0


if __name__ == "__main__":
    try:
        sys.exit(main())
    except BrokenPipeError:  # `| head` closed stdout: not an error of ours
        sys.stderr.close()
        sys.exit(0)
