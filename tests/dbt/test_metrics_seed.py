"""The metric seeds are faithful copies of the metric catalog and the metric definitions
(the contracts), and the definitions hold together."""

from __future__ import annotations

import copy
import csv
import importlib.util

import yaml

from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "dbt_project" / "scripts" / "generate_metrics_seed.py"
CATALOG = REPO_ROOT / "ingest" / "reports" / "report_metrics.yml"
DEFINITIONS = REPO_ROOT / "ingest" / "metric_definitions.yml"
SEED = REPO_ROOT / "dbt_project" / "seeds" / "metrics.csv"


def _generator():
    spec = importlib.util.spec_from_file_location("generate_metrics_seed", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def _yaml(path):
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def test_seeds_are_generated_from_the_catalog_and_the_definitions() -> None:
    for path, text in _generator().rendered().items():
        assert path.read_text(encoding="utf-8") == text, (
            f"{path.relative_to(REPO_ROOT)} is stale: run "
            "`python dbt_project/scripts/generate_metrics_seed.py`")


def test_seed_has_every_catalog_metric_once_with_its_unit() -> None:
    metrics = _yaml(CATALOG)["metrics"]
    with open(SEED, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["metric_id"] for row in rows] == list(metrics)
    assert {row["metric_id"]: row["metric_unit"] for row in rows} == {
        code: spec["unit"] for code, spec in metrics.items()
    }
    assert all(row["metric_section"] for row in rows)


def test_the_definitions_hold_together() -> None:
    generator = _generator()
    assert generator.definition_errors(_yaml(DEFINITIONS), _yaml(CATALOG)["metrics"],
                                       generator.measures()) == []


def test_a_reconciled_metric_without_a_tolerance_is_refused() -> None:
    generator = _generator()
    definitions = copy.deepcopy(_yaml(DEFINITIONS))
    del definitions["metrics"]["dossiers_late_pct"]["tolerance"]
    errors = generator.definition_errors(definitions, _yaml(CATALOG)["metrics"], generator.measures())
    assert errors == ["dossiers_late_pct: reconciled with the exports but has no tolerance "
                      "(give one, or `reconcile: false` and why)"]


def test_measures_and_catalog_codes_are_checked() -> None:
    generator = _generator()
    definitions = copy.deepcopy(_yaml(DEFINITIONS))
    definitions["metrics"]["dossiers_online_pct"]["exports"]["denominator"] = "dossiers_filed"
    definitions["metrics"]["dossiers_online_pct"]["report"]["numerator"] = "dossiers_on_line"
    definitions["decision_766"]["online_dossiers"]["metric"] = "dossiers_early_pct"
    errors = generator.definition_errors(definitions, _yaml(CATALOG)["metrics"], generator.measures())
    assert errors == [
        "dossiers_online_pct: report numerator 'dossiers_on_line' is not in the catalog",
        "dossiers_online_pct: exports denominator 'dossiers_filed' is no measure dbt counts",
        "decision_766 online_dossiers: metric 'dossiers_early_pct' has no exports definition",
    ]


def test_every_reconciled_metric_has_a_tolerance_in_the_seed() -> None:
    with open(REPO_ROOT / "dbt_project" / "seeds" / "metric_definitions.csv", encoding="utf-8") as handle:
        rows = list(csv.DictReader(handle))
    reconciled = [row for row in rows if row["is_reconciled"] == "true"]
    assert reconciled, "no metric is reconciled with the exports"
    assert [row["metric_id"] for row in reconciled
            if not (row["tolerance_relative"] or row["tolerance_absolute"])] == []


def test_seed_phrases_are_the_catalog_text_with_and_without_diacritics() -> None:
    metrics = _yaml(CATALOG)["metrics"]
    with open(SEED, encoding="utf-8", newline="") as handle:
        rows = {row["metric_id"]: row for row in csv.DictReader(handle)}
    for code, spec in metrics.items():
        assert rows[code]["vietnamese_phrase_ascii"] == spec.get("vi", ""), code
        assert bool(rows[code]["vietnamese_phrase"]) == bool(spec.get("vi")), code
    assert rows["dossiers_resolved"]["vietnamese_phrase"] == "đã giải quyết và trả kết quả ... hồ sơ"
