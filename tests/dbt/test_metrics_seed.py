"""dim_metrics' seed is a faithful copy of the metric catalog (the contract)."""

from __future__ import annotations

import csv
import importlib.util

import yaml

from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "dbt_project" / "scripts" / "generate_metrics_seed.py"
CATALOG = REPO_ROOT / "ingest" / "reports" / "report_metrics.yml"
SEED = REPO_ROOT / "dbt_project" / "seeds" / "metrics.csv"


def _generator():
    spec = importlib.util.spec_from_file_location("generate_metrics_seed", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_seed_is_generated_from_the_catalog() -> None:
    expected = _generator().render(CATALOG.read_text(encoding="utf-8"))
    assert SEED.read_text(encoding="utf-8") == expected, (
        "dbt_project/seeds/metrics.csv is stale: run "
        "`python dbt_project/scripts/generate_metrics_seed.py`"
    )


def test_seed_has_every_catalog_metric_once_with_its_unit() -> None:
    metrics = yaml.safe_load(CATALOG.read_text(encoding="utf-8"))["metrics"]
    with open(SEED, encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert [row["metric_id"] for row in rows] == list(metrics)
    assert {row["metric_id"]: row["metric_unit"] for row in rows} == {
        code: spec["unit"] for code, spec in metrics.items()
    }
    assert all(row["metric_section"] for row in rows)
