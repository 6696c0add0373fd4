"""The figures README.md and docs/ quote about a run come from a measured run
(scripts/measure_docs.py), and that measurement is of the repository as it is."""

from __future__ import annotations

import importlib.util
import json

from tests.conftest import REPO_ROOT

SCRIPT = REPO_ROOT / "scripts" / "measure_docs.py"


def _script():
    spec = importlib.util.spec_from_file_location("measure_docs", SCRIPT)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_measured_blocks_are_rendered_from_the_record() -> None:
    script = _script()
    record = json.loads(script.RECORD.read_text(encoding="utf-8"))
    blocks = script.render(record)
    found = {}
    for path in script.DOCS:
        for match in script.BLOCK.finditer(path.read_text(encoding="utf-8")):
            found[match["name"]] = match["body"]
    assert set(found) == set(blocks), "every rendered block appears in the docs, once"
    stale = [name for name, body in found.items() if body != blocks[name]]
    assert not stale, f"{stale} differ from the record: run `python {SCRIPT.relative_to(REPO_ROOT)} --render`"


def test_the_record_measured_the_repository_as_it_is() -> None:
    """Counts the repository determines must match: a change to the sample, the suites or
    the dbt project needs a new measurement (`python scripts/measure_docs.py`)."""
    from expectations.suites import SUITES

    record = json.loads(_script().RECORD.read_text(encoding="utf-8"))
    exports = [p for p in (REPO_ROOT / "data" / "samples" / "exports").rglob("*")
               if p.is_file() and p.suffix != ".json"]
    reports = [p for p in (REPO_ROOT / "data" / "samples" / "reports").rglob("*") if p.is_file()]
    assert record["source_files"] == len(exports) + len(reports)
    checks = record["checks"]
    assert checks["passed"] + checks["failed"] + checks["warned"] == sum(
        len(suite.checks()) for suite in SUITES)
    assert checks["failed"] == 0
    assert record["dbt_nodes"]["model"] == len(list((REPO_ROOT / "dbt_project" / "models").rglob("*.sql")))
    assert record["dbt_nodes"]["seed"] == len(list((REPO_ROOT / "dbt_project" / "seeds").glob("*.csv")))
    assert all(run["state"] == "success" for run in record["dag_runs"])
