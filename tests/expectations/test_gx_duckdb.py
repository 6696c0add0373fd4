"""The GX-on-DuckDB workaround (expectations/gx_duckdb.py) is pinned to the GX version it
was checked with, and proven both ways: without it GX reports a wrong outcome on DuckDB,
with it the right one. An upgrade of GX fails here first, loudly."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import duckdb
import great_expectations as gx

from expectations.gx_duckdb import CHECKED_WITH_GX
from tests.conftest import REPO_ROOT

# One row of two breaks the rule: the right outcome is "failed, 1 unexpected row".
VALIDATE = """
import json, os
import great_expectations as gx
import great_expectations.expectations as gxe
if os.environ["GX_TEST_MODE"] == "patched":
    from expectations.gx_duckdb import persist_duckdb_connections
    persist_duckdb_connections()
context = gx.get_context(mode="ephemeral")
source = context.data_sources.add_sql(name="w", connection_string="duckdb:///" + os.environ["GX_TEST_DB"])
batch = source.add_table_asset(name="t", table_name="t").add_batch_definition_whole_table("all").get_batch()
rule = gxe.UnexpectedRowsExpectation(unexpected_rows_query="select * from {batch} where x < 0")
result = batch.validate(rule)
print(json.dumps({"success": result.success, "observed": (result.result or {}).get("observed_value")}))
"""


def _outcome(path: Path, mode: str) -> dict:
    # A script file, not `python -c`: pyspark, which GX imports, takes a __main__ without a
    # file for a doctest run and exits 0 on the spot.
    script = path.with_name("validate.py")
    script.write_text(VALIDATE, encoding="utf-8")
    env = {**os.environ, "GX_TEST_DB": str(path), "GX_TEST_MODE": mode, "PYTHONPATH": str(REPO_ROOT)}
    proc = subprocess.run([sys.executable, str(script)], env=env, capture_output=True, text=True,
                          timeout=300)
    assert proc.returncode == 0, proc.stderr[-2000:]
    return json.loads(proc.stdout.strip().splitlines()[-1])


def test_gx_is_the_version_the_workaround_was_checked_with() -> None:
    assert gx.__version__ == CHECKED_WITH_GX, (
        f"great_expectations is {gx.__version__}, the DuckDB workaround was checked with "
        f"{CHECKED_WITH_GX}: re-run this module's other test, check GX issue #11579, then "
        "move CHECKED_WITH_GX (or drop expectations/gx_duckdb.py if GX fixed it)")


def test_without_the_workaround_gx_is_wrong_on_duckdb_and_with_it_right(tmp_path: Path) -> None:
    path = tmp_path / "w.duckdb"
    with duckdb.connect(str(path)) as con:
        con.execute("create table t as select * from (values (-1), (2)) as v(x)")
    assert _outcome(path, "patched") == {"success": False, "observed": 1}
    assert _outcome(path, "plain") != {"success": False, "observed": 1}, (
        "GX now validates DuckDB correctly without expectations/gx_duckdb.py: drop the workaround")
