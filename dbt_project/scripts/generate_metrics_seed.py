"""Generate the metric seeds from the metric catalog and the metric definitions.

- seeds/metrics.csv (dim_metrics): the catalog, ingest/reports/report_metrics.yml, the
  contract of report extraction, with each metric's labels (ingest/reports/metric_labels.yml):
  `vietnamese_phrase` is how reports phrase the figure with diacritics (the labels'
  `phrase`), `vietnamese_phrase_ascii` the catalog's own text without them;
- seeds/metric_definitions.csv and seeds/decision_766_indicators.csv: what each metric
  counts over what, its rounding and tolerance, and the Decision 766 weights, from
  ingest/metric_definitions.yml, checked against the catalog and the measures dbt
  counts (dbt_project.yml vars activity_measures and catalog_measures).

The YAML files are the contract; the seeds are derived copies so every dbt target reads
the same reference tables. Run after editing either YAML:

    python dbt_project/scripts/generate_metrics_seed.py

tests/dbt/test_metrics_seed.py fails when a committed seed differs from a rebuild, and
`definition_errors` names every definition that does not hold together.
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
DEFINITIONS = DBT_PROJECT.parent / "ingest" / "metric_definitions.yml"
LABELS = DBT_PROJECT.parent / "ingest" / "reports" / "metric_labels.yml"
SEEDS = DBT_PROJECT / "seeds"
COLUMNS = (
    "metric_id", "metric_section", "metric_unit", "qualifier_keys", "kind_codes",
    "vietnamese_phrase", "metric_note", "label_vi", "label_en", "vietnamese_phrase_ascii",
)
DEFINITION_COLUMNS = (
    "metric_id", "label_vi", "label_en", "metric_unit", "exports_numerator", "exports_denominator",
    "report_numerator", "report_denominator", "report_denominator_kind", "rounding_digits",
    "tolerance_relative", "tolerance_absolute", "is_reconciled",
)
INDICATOR_COLUMNS = ("indicator_code", "indicator_group", "indicator_group_name", "metric_id",
                     "max_points", "full_points_share")
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


def _csv(columns: tuple, rows: list[tuple]) -> str:
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\n")
    writer.writerow(columns)
    writer.writerows(rows)
    return out.getvalue()


def _text(value: object) -> str:
    return "" if value is None else str(value).lower() if isinstance(value, bool) else str(value)


def render(catalog_text: str, labels: dict[str, dict[str, str]]) -> str:
    """metrics.csv's text for one catalog text and its labels (rows in catalog order)."""
    metrics = yaml.safe_load(catalog_text)["metrics"]
    missing = sorted(set(metrics) - set(labels))
    if missing:
        raise ValueError(f"{LABELS.name}: no labels for {', '.join(missing)}")
    unphrased = sorted(code for code, spec in metrics.items()
                       if spec.get("vi") and not labels[code].get("phrase"))
    if unphrased:
        raise ValueError(f"{LABELS.name}: no phrase (with diacritics) for {', '.join(unphrased)}")
    section_of = sections(catalog_text)
    return _csv(COLUMNS, [(
        code,
        section_of.get(code, ""),
        spec.get("unit", ""),
        "|".join(spec.get("qualifiers", [])),
        "|".join(spec.get("kinds", [])),
        labels[code].get("phrase", "") if spec.get("vi") else "",
        spec.get("note", ""),
        labels[code]["vi"],
        labels[code]["en"],
        spec.get("vi", ""),
    ) for code, spec in metrics.items()])


def measures() -> set[str]:
    """What the exports count: dbt_project.yml's activity and catalog measures."""
    variables = yaml.safe_load((DBT_PROJECT / "dbt_project.yml").read_text(encoding="utf-8"))["vars"]
    return set(variables["activity_measures"]) | set(variables["catalog_measures"])


def is_reconciled(code: str, spec: dict, catalog: dict) -> bool:
    return code in catalog and "exports" in spec and spec.get("reconcile", True)


def definition_errors(definitions: dict, catalog: dict, known_measures: set[str]) -> list[str]:
    """Every way the definitions fail to hold together (empty when they hold)."""
    errors = []
    metrics = definitions["metrics"]
    for code, spec in metrics.items():
        exports, report = spec.get("exports", {}), spec.get("report", {})
        for part in ("numerator", "denominator"):
            if part in exports and exports[part] not in known_measures:
                errors.append(f"{code}: exports {part} {exports[part]!r} is no measure dbt counts")
            named = report.get(part)
            named = named["metric"] if isinstance(named, dict) else named
            if named is not None and named not in catalog:
                errors.append(f"{code}: report {part} {named!r} is not in the catalog")
        if exports and "numerator" not in exports:
            errors.append(f"{code}: exports without a numerator")
        if is_reconciled(code, spec, catalog) and not spec.get("tolerance"):
            errors.append(f"{code}: reconciled with the exports but has no tolerance "
                          "(give one, or `reconcile: false` and why)")
        if code not in catalog and "report" in spec:
            errors.append(f"{code}: a report ratio for a metric the catalog does not have")
    for code, spec in definitions.get("decision_766", {}).items():
        if "exports" not in metrics.get(spec["metric"], {}):
            errors.append(f"decision_766 {code}: metric {spec['metric']!r} has no exports definition")
    return errors


def render_definitions(definitions: dict, catalog: dict) -> str:
    """metric_definitions.csv's text (rows in the definitions' order)."""
    rows = []
    for code, spec in definitions["metrics"].items():
        exports, report = spec.get("exports", {}), spec.get("report", {})
        tolerance = spec.get("tolerance", {})
        denominator = report.get("denominator")
        unit = catalog.get(code, {}).get("unit") or ("percent" if "denominator" in exports else "count")
        rows.append(tuple(_text(value) for value in (
            code, spec.get("vi"), spec.get("en"), unit,
            exports.get("numerator"), exports.get("denominator"),
            report.get("numerator"),
            denominator["metric"] if isinstance(denominator, dict) else denominator,
            denominator.get("kind") if isinstance(denominator, dict) else None,
            spec.get("rounding", 2 if unit == "percent" else 0),
            tolerance.get("relative"), tolerance.get("absolute"),
            is_reconciled(code, spec, catalog),
        )))
    return _csv(DEFINITION_COLUMNS, rows)


def render_indicators(definitions: dict) -> str:
    """decision_766_indicators.csv's text."""
    return _csv(INDICATOR_COLUMNS, [
        (code, *(spec[key] for key in ("group", "group_name", "metric", "max_points", "full_points_share")))
        for code, spec in definitions.get("decision_766", {}).items()
    ])


def rendered() -> dict[Path, str]:
    """Each seed file and its text, from the YAML files as they are now."""
    catalog_text = CATALOG.read_text(encoding="utf-8")
    catalog = yaml.safe_load(catalog_text)["metrics"]
    definitions = yaml.safe_load(DEFINITIONS.read_text(encoding="utf-8"))
    errors = definition_errors(definitions, catalog, measures())
    if errors:
        raise ValueError(f"{DEFINITIONS.name}: " + "; ".join(errors))
    return {
        SEEDS / "metrics.csv": render(
            catalog_text, yaml.safe_load(LABELS.read_text(encoding="utf-8"))["labels"]),
        SEEDS / "metric_definitions.csv": render_definitions(definitions, catalog),
        SEEDS / "decision_766_indicators.csv": render_indicators(definitions),
    }


def main() -> int:
    for path, text in rendered().items():
        path.write_text(text, encoding="utf-8")
        print(f"wrote {path.relative_to(DBT_PROJECT.parent)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
