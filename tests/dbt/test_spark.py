"""The same dbt project on Spark (`method: session`, the machine's Java 17), fed by the
Parquet lake: the marts equal DuckDB's row for row (test_targets.py holds Postgres's to
DuckDB's), a monthly run
rewrites only that month's partitions, and the GX gate and publishing work on them.

One Spark warehouse serves the module (Spark starts in 16-25 s per dbt invocation, and
a build of the sample takes minutes on two cores): eleven months are built, December is
loaded, and the pipeline's own `build_models` runs the monthly `dbt build` on Spark.
"""

from __future__ import annotations

import re
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import duckdb
import pytest

from ingest import warehouse
from ingest.lake import export_lake, table_location
from ingest.pipeline import build_models, publish_marts, validate_warehouse
from ingest.settings import Settings
from ingest.transform import run_dbt
from tests.conftest import _in_ci
from tests.dbt.marts import (
    MART_TOTALS,
    MORE_MART_NUMBERS,
    as_ints,
    differences,
    duckdb_fetch,
    duckdb_marts,
    load_sample,
)

pytestmark = [pytest.mark.slow, pytest.mark.timeout(2400)]

DECEMBER = "2020-12"


def java_problem() -> str | None:
    """Why Spark cannot start here (None when Java 17+ is on the PATH)."""
    java = shutil.which("java")
    if java is None:
        return "Java is not installed (Spark needs Java 17+: bash scripts/install-system-packages.sh)"
    version = subprocess.run([java, "-version"], capture_output=True, text=True).stderr
    found = re.search(r'version "(\d+)', version)
    if not found or int(found.group(1)) < 17:
        return f"Spark needs Java 17+, found: {version.splitlines()[:1]}"
    return None


def require_java() -> None:
    problem = java_problem()
    if problem is None:
        return
    if _in_ci():
        pytest.fail(f"CI=true: {problem}. The Spark tests must run in CI, not skip.")
    pytest.skip(problem)


def folder_state(root: Path) -> dict[str, tuple]:
    """Each partition folder under root -> its Parquet files with their mtimes."""
    state = {}
    for folder in sorted(p for p in root.rglob("*=*") if p.is_dir() and not any(
            part.startswith((".", "_")) for part in p.relative_to(root).parts)):
        files = tuple(sorted((f.name, f.stat().st_mtime_ns) for f in folder.glob("*.parquet")))
        if files:
            state[folder.relative_to(root).as_posix()] = files
    return state


def spark_table_fingerprint(folder: Path) -> tuple:
    """Row count and order-independent hash of a Spark table's Parquet (which run wrote a
    row, and when, aside)."""
    with duckdb.connect() as con:
        return con.execute(
            "select count(*), bit_xor(hash(t)) from (select * exclude "
            "(dbt_invocation_id, dbt_updated_at, loaded_through_at) "
            f"from read_parquet('{folder}/**/*.parquet', hive_partitioning = true)) as t").fetchone()


@dataclass
class SparkRun:
    settings: Settings
    tmp: Path
    fact_before: dict
    fact_after: dict
    lake_before: dict
    lake_after: dict
    december_dossiers: int
    gate: dict
    release: dict

    @property
    def fact_folder(self) -> Path:
        return Path(self.settings.spark_warehouse) / "marts.db" / "fct_dossiers"


@pytest.fixture(scope="module")
def spark_run(tmp_path_factory: pytest.TempPathFactory) -> SparkRun:
    require_java()
    tmp = tmp_path_factory.mktemp("spark")
    with pytest.MonkeyPatch.context() as env:
        env.setenv("DBT_TARGET_PATH", str(tmp / "target"))
        env.setenv("DBT_LOG_PATH", str(tmp / "logs"))
        for name in ("CCHC_SPARK_METHOD", "CCHC_LAKE", "CCHC_SPARK_LAKE", "CCHC_SPARK_DIR",
                     "CCHC_SPARK_WAREHOUSE", "CCHC_POSTGRES_DSN"):
            env.delenv(name, raising=False)
        settings = Settings(warehouse=tmp / "warehouse" / "cchc.duckdb", dbt_target="spark",
                            serving=tmp / "warehouse" / "serving" / "cchc.duckdb")
        lake_dossiers = Path(table_location(settings.lake, "export_dossiers"))

        # Eleven months: lake, then seeds and models on Spark (their tests run below).
        load_sample(settings.warehouse, months=range(1, 12))
        with warehouse.connect(settings.warehouse) as con:
            export_lake(con, settings.lake)
        run_dbt(["build", "--exclude", "resource_type:test", "resource_type:unit_test"],
                settings, capture=True)
        fact_before = folder_state(tmp / "warehouse" / "spark" / "warehouse" / "marts.db" / "fct_dossiers")
        lake_before = folder_state(lake_dossiers)

        # December lands: the monthly run as the pipeline does it (lake, dbt build, marts
        # back into DuckDB), then the gate and a release, as the Airflow DAG runs them.
        load_sample(settings.warehouse, months=range(12, 13))
        build_models(settings)
        fact_after = folder_state(tmp / "warehouse" / "spark" / "warehouse" / "marts.db" / "fct_dossiers")
        lake_after = folder_state(lake_dossiers)
        gate = validate_warehouse("spark-2020-12", settings)
        release = publish_marts("spark-2020-12", settings)
        (december,) = duckdb_fetch(
            settings.warehouse,
            "select count(distinct dossier_code) from raw.export_dossiers where partition_month = ?",
            [DECEMBER])[0]
        yield SparkRun(settings, tmp, fact_before, fact_after, lake_before, lake_after,
                       december, gate, release)


def test_spark_files_stay_out_of_the_repo(spark_run: SparkRun) -> None:
    spark_dir = spark_run.tmp / "warehouse" / "spark"
    assert (spark_dir / "metastore" / "metastore_db").is_dir()
    assert (spark_dir / "metastore" / "derby.log").is_file()
    assert (spark_dir / "warehouse" / "marts.db" / "fct_dossiers").is_dir()
    repo = Path(__file__).resolve().parents[2]
    for stray in ("metastore_db", "derby.log", "spark-warehouse"):
        assert not (repo / stray).exists() and not (repo / "dbt_project" / stray).exists()


def test_monthly_run_on_spark_rewrites_only_that_months_partitions(
    spark_run: SparkRun, monkeypatch: pytest.MonkeyPatch
) -> None:
    december = f"source_partition_month={DECEMBER}"
    before, after = spark_run.fact_before, spark_run.fact_after
    assert len(before) == 11 and december not in before
    assert set(after) == set(before) | {december}
    # the eleven old partitions: the very same files, untouched
    assert {p: after[p] for p in before} == before
    # the lake too: December's folder added, the other months' files left alone
    lake_december = f"province=H34/partition_month={DECEMBER}"
    assert set(spark_run.lake_after) == set(spark_run.lake_before) | {lake_december}
    assert {p: spark_run.lake_after[p] for p in spark_run.lake_before} == spark_run.lake_before

    # the December run wrote December's dossiers, and only those
    runs = sorted(n for (n,) in duckdb_fetch(
        spark_run.settings.warehouse,
        "select count(*) from marts.fct_dossiers group by dbt_invocation_id"))
    eleven = sum(n for (n,) in duckdb_fetch(
        spark_run.settings.warehouse,
        "select count(distinct dossier_code) from raw.export_dossiers where partition_month < ?",
        [DECEMBER]))
    assert runs == sorted([eleven, spark_run.december_dossiers])

    # and the result equals a full refresh of the fact
    incremental = spark_table_fingerprint(spark_run.fact_folder)
    monkeypatch.setenv("DBT_TARGET_PATH", str(spark_run.tmp / "target-full-refresh"))
    monkeypatch.setenv("DBT_LOG_PATH", str(spark_run.tmp / "logs"))
    run_dbt(["run", "--full-refresh", "--select", "fct_dossiers"], spark_run.settings, capture=True)
    assert spark_table_fingerprint(spark_run.fact_folder) == incremental
    refreshed = folder_state(spark_run.fact_folder)
    assert set(refreshed) == set(after) and all(refreshed[p] != after[p] for p in after)


def test_duckdb_and_spark_build_the_same_marts(
    spark_run: SparkRun, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Row for row (test_targets.py holds Postgres to DuckDB's marts the same way)."""
    monkeypatch.setenv("DBT_TARGET_PATH", str(tmp_path / "target"))
    monkeypatch.setenv("DBT_LOG_PATH", str(tmp_path / "logs"))
    duck = Settings(warehouse=tmp_path / "cchc.duckdb", dbt_target="duckdb")
    with warehouse.connect(duck.warehouse) as con:  # the same raw rows as the Spark run
        con.execute(f"attach '{spark_run.settings.raw_warehouse}' as spark_raw (read_only)")
        for (table,) in con.execute(
                "select table_name from information_schema.tables "
                "where table_catalog = 'spark_raw' and table_schema = 'main'").fetchall():
            con.execute(f"insert into raw.{table} select * from spark_raw.main.{table}")
        con.execute("detach spark_raw")
    run_dbt(["build"], duck, capture=True)

    duck_marts = duckdb_marts(duck.warehouse)
    spark_marts = duckdb_marts(spark_run.settings.warehouse)  # as build_models brought them back
    assert len(duck_marts) >= 15 and len(duck_marts["fct_dossiers"][1]) > 3000
    assert differences(duck_marts, spark_marts) == []
    for sql in (MART_TOTALS, MORE_MART_NUMBERS):
        assert as_ints(duckdb_fetch(spark_run.settings.warehouse, sql)[0]) == as_ints(
            duckdb_fetch(duck.warehouse, sql)[0])


def test_gate_and_publishing_work_on_the_spark_marts(spark_run: SparkRun) -> None:
    assert spark_run.gate["checks"] > 10 and spark_run.gate["failed"] == []
    tables = spark_run.release["tables"]
    assert tables["marts.fct_dossiers"] > 3000 and "audit.check_results" in tables
    with duckdb.connect(str(spark_run.settings.serving), read_only=True) as con:
        assert con.execute("select count(*) from marts.fct_dossiers").fetchone()[0] == tables[
            "marts.fct_dossiers"]
        # the marts' descriptions came along (dbt's manifest, as persist_docs on DuckDB)
        (comment,) = con.execute(
            "select comment from duckdb_tables() where schema_name = 'marts' "
            "and table_name = 'fct_dossiers'").fetchone()
        assert comment and comment.startswith("One row per dossier")
