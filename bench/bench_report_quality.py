"""Extraction quality on real third-party texts: recall, precision and wrong values per
text and in total, against hand-read gold figures (ingest/reports/quality.py).

    .venv/bin/python bench/bench_report_quality.py [--corpus DIR] [--verbose]

The default corpus is the project's copy of the development set
(tests/ingest/reports/corpus/real, from shared/data/reports/real). The result is written
to bench/results/report_quality.json; tests/ingest/reports/test_reports_quality.py runs
the same scoring with a floor.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import os
import platform
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from ingest.reports.quality import score_corpus, totals  # noqa: E402

DEFAULT_CORPUS = ROOT / "tests/ingest/reports/corpus/real"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", type=Path, default=DEFAULT_CORPUS)
    parser.add_argument("--verbose", action="store_true", help="list missing, wrong and extra figures")
    args = parser.parse_args()
    started = time.perf_counter()
    scores = score_corpus(args.corpus)
    seconds = time.perf_counter() - started
    print(f"{'text':28} {'gold':>4} {'found':>5} {'right':>5} {'wrong':>5} {'recall':>7} {'precision':>9}")
    for s in scores:
        print(f"{s.file:28} {s.gold:4} {s.found:5} {s.correct:5} {len(s.wrong):5} "
              f"{s.recall:7.1%} {s.precision:9.1%}")
        if args.verbose:
            for label, items in (("missing", s.missing), ("wrong", s.wrong), ("extra", s.extra)):
                for item in items:
                    print(f"    {label}: {item}")
    total = totals(scores)
    print(f"{'total':28} {total['gold']:4} {total['found']:5} {total['correct']:5} {total['wrong']:5} "
          f"{total['recall']:7.1%} {total['precision']:9.1%}")
    print(f"wrong values: {total['wrong_share_of_found']:.1%} of figures found; "
          f"{seconds:.2f} s for {total['texts']} texts")
    result = {
        "date": dt.date.today().isoformat(),
        "command": "python bench/bench_report_quality.py",
        "machine": f"{platform.machine()}, {os.cpu_count()} cores, Python {platform.python_version()}",
        "corpus": str(args.corpus.relative_to(ROOT) if args.corpus.is_relative_to(ROOT) else args.corpus),
        "seconds": round(seconds, 3),
        "total": total,
        "texts": [
            {"file": s.file, "gold": s.gold, "found": s.found, "correct": s.correct, "wrong": s.wrong,
             "missing": s.missing, "extra": s.extra}
            for s in scores
        ],
    }
    out = ROOT / "bench/results/report_quality.json"
    out.write_text(json.dumps(result, indent=2, ensure_ascii=False) + "\n", encoding="utf-8")
    print(f"written: {out.relative_to(ROOT)}")


if __name__ == "__main__":
    main()
