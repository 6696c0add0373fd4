"""The raw lake (ingest/lake.py): raw tables as Parquet partitioned by province and
month, rewritten partition by partition; and the way back for marts built on Spark."""

from __future__ import annotations

import json
from pathlib import Path

import duckdb
import fsspec
import pytest

from ingest import lake, pipeline, warehouse
from ingest.settings import Settings

DOSSIERS = "raw.export_dossiers"


def add_dossiers(con: duckdb.DuckDBPyConnection, agency: str, month: str, count: int,
                 file: str | None = None) -> None:
    file = file or f"{agency}-{month}"
    con.execute(
        f"""insert into {DOSSIERS} (file_sha256, source_file, source_row, partition_agency,
                partition_month, dossier_code, agency_code, channel, status, received_at)
            select ?, ?, i, ?, ?, ? || '-' || i, ?, 2, 2,
                   cast(? || '-05 08:30:15.123456' as timestamp)
            from range(1, ? + 1) as r(i)""",
        [file, f"{file}.csv", agency, month, file, agency, month, count])


def state(root: Path) -> dict[str, list[str]]:
    """Partition folder -> its file names, for every folder holding Parquet."""
    return {p.parent.relative_to(root).as_posix().removeprefix("."):
            sorted(f.name for f in p.parent.glob("*.parquet"))
            for p in sorted(root.rglob("*.parquet")) if not p.name.startswith(".")}


@pytest.fixture
def con(tmp_path: Path):
    with warehouse.connect(tmp_path / "cchc.duckdb") as connection:
        add_dossiers(connection, "000.00.01.H34", "2020-01", 3)
        add_dossiers(connection, "000.00.02.H34", "2020-01", 2)
        add_dossiers(connection, "000.00.01.H34", "2020-02", 4)
        add_dossiers(connection, "000.00.01.H56", "2020-02", 1)  # another province
        yield connection


def test_export_partitions_by_province_and_month_and_a_rerun_writes_nothing(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    root = tmp_path / "lake"
    first = lake.export_lake(con, root)
    assert first.tables["export_dossiers"].written == [
        "province=H34/partition_month=2020-01",
        "province=H34/partition_month=2020-02",
        "province=H56/partition_month=2020-02",
    ]
    dossiers = root / "raw" / "export_dossiers"
    assert sorted(state(dossiers)) == first.tables["export_dossiers"].written
    # every raw table is there, small ones as one file, so any engine can read each
    assert sorted(p.name for p in (root / "raw").iterdir()) == sorted(warehouse.RAW_DDL)
    assert len(state(root / "raw" / "load_manifest")[""]) == 1

    rows = con.execute(
        f"select province, partition_month, count(*), min(received_at) from read_parquet("
        f"'{dossiers}/**/*.parquet', hive_partitioning = true, hive_types_autocast = false) "
        "group by all order by all").fetchall()
    assert [r[:3] for r in rows] == [("H34", "2020-01", 5), ("H34", "2020-02", 4), ("H56", "2020-02", 1)]
    assert rows[0][3].microsecond == 123456  # microsecond timestamps kept
    one_file = next(dossiers.rglob("*.parquet"))
    types = dict(con.execute(
        f"select name, logical_type::varchar from parquet_schema('{one_file}')").fetchall())
    assert "TimestampType" in types["received_at"] and "MICROS" in types["received_at"]
    assert "partition_month" not in types  # in the folder name, once

    again = lake.export_lake(con, root)
    assert again.partitions_written == 0
    assert again.tables["export_dossiers"].unchanged == 3


def test_a_month_replaces_only_its_own_partition_folder(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    root = tmp_path / "lake"
    lake.export_lake(con, root)
    dossiers = root / "raw" / "export_dossiers"
    before = state(dossiers)

    add_dossiers(con, "000.00.01.H34", "2020-03", 2)
    result = lake.export_lake(con, root).tables["export_dossiers"]
    assert result.written == ["province=H34/partition_month=2020-03"] and result.rows_written == 2
    after = state(dossiers)
    assert {p: after[p] for p in before} == before  # the same files, untouched

    # a reloaded month (new file replaces the old rows) rewrites that folder alone
    con.execute(f"delete from {DOSSIERS} where partition_month = '2020-01' and partition_agency = "
                "'000.00.02.H34'")
    add_dossiers(con, "000.00.02.H34", "2020-01", 5, file="reloaded")
    result = lake.export_lake(con, root).tables["export_dossiers"]
    assert result.written == ["province=H34/partition_month=2020-01"]
    reloaded = state(dossiers)
    assert reloaded["province=H34/partition_month=2020-01"] != after["province=H34/partition_month=2020-01"]
    assert {p: reloaded[p] for p in after if "2020-01" not in p} == {
        p: after[p] for p in after if "2020-01" not in p}
    assert con.execute(
        f"select count(*) from read_parquet('{dossiers}/province=H34/partition_month=2020-01/*.parquet')"
    ).fetchone()[0] == 8

    # a month gone from raw is gone from the lake, and an emptied province folder too
    con.execute(f"delete from {DOSSIERS} where partition_agency = '000.00.01.H56'")
    result = lake.export_lake(con, root).tables["export_dossiers"]
    assert result.removed == ["province=H56/partition_month=2020-02"] and result.written == []
    assert not (dossiers / "province=H56").exists()
    # no staging or trash left behind
    assert [p.name for p in root.iterdir() if p.name.startswith(".")] == []


def test_an_empty_table_keeps_its_schema_in_a_null_partition(
    con: duckdb.DuckDBPyConnection, tmp_path: Path
) -> None:
    root = tmp_path / "lake"
    lake.export_lake(con, root)
    aggregates = root / "raw" / "export_aggregates"
    placeholder = "province=__HIVE_DEFAULT_PARTITION__/partition_period=__HIVE_DEFAULT_PARTITION__"
    assert list(state(aggregates)) == [placeholder]
    columns = [c for (c,) in con.execute(
        f"select name from parquet_schema('{next(aggregates.rglob('*.parquet'))}')").fetchall()]
    assert "received_total" in columns and "partition_period" not in columns

    con.execute("""insert into raw.export_aggregates (file_sha256, source_file, source_row,
        partition_agency, partition_period, period_start, period_end, received_total)
        values ('agg', 'agg.xlsx', 1, '000.00.01.H34', '2020-01', date '2020-01-01',
        date '2020-01-31', 7)""")
    result = lake.export_lake(con, root).tables["export_aggregates"]
    assert result.written == ["province=H34/partition_period=2020-01"]
    assert result.removed == [placeholder]
    assert list(state(aggregates)) == ["province=H34/partition_period=2020-01"]


def test_an_fsspec_location_gets_the_same_lake(con: duckdb.DuckDBPyConnection) -> None:
    url = "memory://cchc-lake-test"
    fs = fsspec.filesystem("memory")
    try:
        first = lake.export_lake(con, url)
        assert first.tables["export_dossiers"].written[0] == "province=H34/partition_month=2020-01"
        files = fs.glob("/cchc-lake-test/raw/export_dossiers/*/*/*.parquet")
        assert len(files) == 3
        assert lake.export_lake(con, url).partitions_written == 0  # manifest read back
        add_dossiers(con, "000.00.01.H34", "2020-02", 1, file="more")
        assert lake.export_lake(con, url).tables["export_dossiers"].written == [
            "province=H34/partition_month=2020-02"]
        assert len(fs.glob("/cchc-lake-test/raw/export_dossiers/*/*/*.parquet")) == 3
    finally:
        if fs.exists("/cchc-lake-test"):
            fs.rm("/cchc-lake-test", recursive=True)


def test_marts_built_by_spark_come_back_with_their_order_and_descriptions(tmp_path: Path) -> None:
    spark_warehouse = tmp_path / "spark-warehouse"
    fact = spark_warehouse / "marts.db" / "fct_things"
    with duckdb.connect() as scratch:
        for month in ("2020-01", "2020-02"):
            folder = fact / f"month={month}"
            folder.mkdir(parents=True)
            scratch.execute(f"copy (select 'a-{month}' as thing_id, 1.5 as amount) "
                            f"to '{folder}/part-0.parquet' (format parquet)")
        (fact / "_SUCCESS").write_text("")
    manifest = tmp_path / "manifest.json"
    manifest.write_text(json.dumps({"nodes": {"model.cchc.fct_things": {
        "resource_type": "model", "name": "fct_things", "alias": "fct_things", "schema": "marts",
        "config": {"materialized": "incremental", "enabled": True},
        "description": "One row per thing.",
        "columns": {"thing_id": {"description": "The key."}, "month": {"description": "Month."}},
    }, "model.cchc.stg_x": {"resource_type": "model", "name": "stg_x", "schema": "staging",
                            "config": {"materialized": "view"}}}}))
    with warehouse.connect(tmp_path / "cchc.duckdb") as con:
        assert lake.load_spark_marts(con, spark_warehouse, manifest) == {"fct_things": 2}
        # the partition column goes back where the model put it (documented order)
        assert [c for (c,) in con.execute(
            "select column_name from information_schema.columns where table_name = 'fct_things' "
            "order by ordinal_position").fetchall()] == ["thing_id", "month", "amount"]
        assert con.execute("select comment from duckdb_tables() where table_name = 'fct_things'"
                           ).fetchone() == ("One row per thing.",)
        assert con.execute("select comment from duckdb_columns() where table_name = 'fct_things' "
                           "and column_name = 'thing_id'").fetchone() == ("The key.",)


def test_the_spark_target_exports_the_lake_builds_then_brings_the_marts_back(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """CCHC_DBT_TARGET=spark: build_models runs lake -> dbt -> marts; the gate and
    publishing then read the DuckDB warehouse, as on the duckdb target."""
    monkeypatch.setenv("CCHC_DBT_TARGET", "spark")
    monkeypatch.setenv("CCHC_WAREHOUSE", str(tmp_path / "cchc.duckdb"))
    settings = Settings()
    assert settings.dbt_target == "spark" and settings.lake == str(tmp_path / "lake")
    calls = []
    monkeypatch.setattr("ingest.lake.export_lake",
                        lambda con, where: calls.append(("export_lake", where)) or lake.LakeExport(where))
    monkeypatch.setattr("ingest.pipeline.run_dbt", lambda args, s: calls.append(("dbt", args, s.dbt_target)))
    monkeypatch.setattr("ingest.lake.load_spark_marts",
                        lambda con, where, manifest: calls.append(("load_spark_marts", where)) or {})
    pipeline.build_models(settings)
    assert calls == [("export_lake", str(tmp_path / "lake")), ("dbt", ["build"], "spark"),
                     ("load_spark_marts", str(tmp_path / "spark" / "warehouse"))]
    assert pipeline.marts_settings(settings).dbt_target == "duckdb"

    from ingest.transform import dbt_env

    env = dbt_env(settings)
    assert env["CCHC_DBT_TARGET"] == "spark"
    assert env["CCHC_SPARK_LAKE"] == str(tmp_path / "lake")
    assert env["CCHC_SPARK_DIR"] == str(tmp_path / "spark")
