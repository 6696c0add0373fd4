"""Generate seeds/metrics.csv (dim_metrics) from the metric catalog.

The catalog (ingest/reports/report_metrics.yml) is the contract; the seed is a
derived copy so every dbt target reads the same reference table. Run after editing
the catalog:

    python dbt_project/scripts/generate_metrics_seed.py

tests/dbt/test_metrics_seed.py fails when the committed seed differs from the catalog.
"""

from __future__ import annotations

import csv
import io
import re
import sys
from pathlib import Path

import yaml

DBT_PROJECT = Path(__file__).resolve().parent.parent
CATALOG = DBT_PROJECT.parent / "ingest" / "reports" / "report_metrics.yml"
SEED = DBT_PROJECT / "seeds" / "metrics.csv"
COLUMNS = (
    "metric_id", "metric_section", "metric_unit", "qualifier_keys", "kind_codes",
    "vietnamese_phrase", "metric_note",
)
SECTION = re.compile(r"^\s*#\s*---\s*(?P<name>.+?)\s*-{3,}")
METRIC = re.compile(r"^\s{2}(?P<code>[a-z0-9_]+):")


def sections(text: str) -> dict[str, str]:
    """Metric code -> the catalog section (`# --- name ---` comment) it is listed under."""
    current, found = "", {}
    for line in text.splitlines():
        if match := SECTION.match(line):
            current = match["name"]
        elif match := METRIC.match(line):
            found[match["code"]] = current
    return found


def render(catalog_text: str) -> str:
    """The seed's CSV text for one catalog text (rows in catalog order)."""
    metrics = yaml.safe_load(catalog_text)["metrics"]
    section_of = sections(catalog_text)
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(COLUMNS)
    for code, spec in metrics.items():
        writer.writerow((
            code,
            section_of.get(code, ""),
            spec.get("unit", ""),
            "|".join(spec.get("qualifiers", [])),
            "|".join(spec.get("kinds", [])),
            spec.get("vi", ""),
            spec.get("note", ""),
        ))
    return out.getvalue()


def main() -> int:
    SEED.write_text(render(CATALOG.read_text(encoding="utf-8")), encoding="utf-8")
    print(f"wrote {SEED.relative_to(DBT_PROJECT.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
