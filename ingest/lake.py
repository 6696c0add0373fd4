"""The raw lake: the warehouse's raw tables as Parquet, for engines that do not read
DuckDB files (the dbt `spark` target), and the way back for what Spark builds.

Layout (Hive-style, so Spark, DuckDB, Trino or pandas read it as partitioned tables):

    <lake>/raw/export_dossiers/province=H34/partition_month=2020-03/part-<uuid>.parquet
    <lake>/raw/export_aggregates/province=H34/partition_period=2020-Q1/part-<uuid>.parquet
    <lake>/raw/<report and manifest tables>/part-<uuid>.parquet    (small, one file each)
    <lake>/_lake_manifest.json     row count and content hash of every partition written

`province` is the national province code that ends every agency code (`000.00.01.H34`
-> `H34`). Timestamps stay TIMESTAMP (microseconds; Spark reads timestamp_ntz), and the
raw schema has no TIME, UUID, INTERVAL or HUGEINT column.

`export_lake` is incremental: it hashes each partition in the warehouse and rewrites only
the partitions whose content changed (loading one month rewrites that month's folders,
nothing else), removes those that no longer exist, and is a no-op when run again. A
partition is replaced as a whole folder: written beside it, then swapped in by rename.

The lake is a local folder by default. Any fsspec URL works too (`s3://bucket/lake`
with s3fs installed, `memory://` in tests): partitions are written locally, then
uploaded, each replacing the remote folder (delete, then upload: not atomic there).

`python -m ingest.lake` exports the configured warehouse's raw tables.
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import tempfile
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field
from pathlib import Path

import duckdb

from ingest.warehouse import RAW_DDL, RAW_SCHEMA, quote_literal, raw_location

log = logging.getLogger(__name__)

MANIFEST = "_lake_manifest.json"
MANIFEST_VERSION = 1
# A table with no rows still needs one (empty) file for engines to learn its schema:
# written under this partition value, which Hive and Spark read as null.
EMPTY_PARTITION_VALUE = "__HIVE_DEFAULT_PARTITION__"

# The national province code at the end of an agency code (000.00.01.H34 -> H34).
PROVINCE_OF_AGENCY = (
    "coalesce(nullif(regexp_extract(partition_agency, '\\.([A-Za-z0-9]+)$', 1), ''), 'unknown')"
)

# Partition columns of each raw table, as (name, SQL expression over the raw row). A
# column that exists in raw (partition_month) moves from the files to the folder names.
PARTITIONS: dict[str, tuple[tuple[str, str], ...]] = {
    "export_dossiers": (("province", PROVINCE_OF_AGENCY), ("partition_month", "partition_month")),
    "export_aggregates": (("province", PROVINCE_OF_AGENCY), ("partition_period", "partition_period")),
}


@dataclass
class TableExport:
    written: list[str] = field(default_factory=list)    # partition paths ('' = the whole table)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    rows_written: int = 0


@dataclass
class LakeExport:
    lake: str
    tables: dict[str, TableExport] = field(default_factory=dict)

    @property
    def partitions_written(self) -> int:
        return sum(len(t.written) for t in self.tables.values())

    def to_json(self) -> dict:
        return {"lake": self.lake, "tables": {name: asdict(t) for name, t in self.tables.items()}}


# ------------------------------------------------------------------ locations
def _is_local(location: str) -> bool:
    return "://" not in location or location.startswith("file://")


def _local_path(location: str) -> Path:
    return Path(location.removeprefix("file://")).expanduser().resolve()


def _filesystem(location: str):
    import fsspec

    fs, root = fsspec.core.url_to_fs(location)
    return fs, root.rstrip("/")


def table_location(lake: str, table: str) -> str:
    """Where one raw table lives in the lake (what Spark's external table points at)."""
    return f"{lake.rstrip('/')}/{RAW_SCHEMA}/{table}"


def _partition_path(names: tuple[str, ...], values: tuple) -> str:
    return "/".join(
        f"{name}={EMPTY_PARTITION_VALUE if value is None else value}"
        for name, value in zip(names, values, strict=True)
    )


# ------------------------------------------------------------------ manifest
def _read_manifest(lake: str) -> dict:
    try:
        if _is_local(lake):
            text = (_local_path(lake) / MANIFEST).read_text(encoding="utf-8")
        else:
            fs, root = _filesystem(lake)
            with fs.open(f"{root}/{MANIFEST}", "r", encoding="utf-8") as handle:
                text = handle.read()
        manifest = json.loads(text)
    except (OSError, ValueError):
        return {"version": MANIFEST_VERSION, "tables": {}}
    if manifest.get("version") != MANIFEST_VERSION:
        return {"version": MANIFEST_VERSION, "tables": {}}
    return manifest


def _write_manifest(lake: str, manifest: dict) -> None:
    text = json.dumps(manifest, indent=1, sort_keys=True)
    if _is_local(lake):
        path = _local_path(lake) / MANIFEST
        tmp = path.with_name(f".{MANIFEST}.{uuid.uuid4().hex}")
        tmp.write_text(text, encoding="utf-8")
        os.replace(tmp, path)
    else:
        fs, root = _filesystem(lake)
        with fs.open(f"{root}/{MANIFEST}", "w", encoding="utf-8") as handle:
            handle.write(text)


# ------------------------------------------------------------------ replacing folders
@contextmanager
def _staging(lake: str) -> Iterator[Path]:
    """A scratch folder for new partitions: inside a local lake (same filesystem, so the
    swap is a rename; dot-named, so no engine reads it), else a temporary folder."""
    if _is_local(lake):
        root = _local_path(lake)
        root.mkdir(parents=True, exist_ok=True)
        staging = root / f".staging-{uuid.uuid4().hex}"
        staging.mkdir()
    else:
        staging = Path(tempfile.mkdtemp(prefix="cchc-lake-"))
    try:
        yield staging
    finally:
        shutil.rmtree(staging, ignore_errors=True)


def _replace_folder(lake: str, staged: Path, relative: str) -> None:
    """Put `staged` at <lake>/<relative>, replacing what was there."""
    if _is_local(lake):
        target = _local_path(lake) / relative
        target.parent.mkdir(parents=True, exist_ok=True)
        trash = target.parent / f".trash-{uuid.uuid4().hex}"
        if target.exists():
            os.replace(target, trash)
        os.replace(staged, target)
        shutil.rmtree(trash, ignore_errors=True)
    else:
        fs, root = _filesystem(lake)
        target = f"{root}/{relative}"
        if fs.exists(target):
            fs.rm(target, recursive=True)
        fs.makedirs(target, exist_ok=True)
        for file in sorted(staged.iterdir()):
            fs.put_file(str(file), f"{target}/{file.name}")


def _remove_folder(lake: str, relative: str) -> None:
    if _is_local(lake):
        target = _local_path(lake) / relative
        shutil.rmtree(target, ignore_errors=True)
        # drop parents left empty (province=X once its last month is gone)
        parent = target.parent
        while parent != _local_path(lake) and parent.exists() and not any(parent.iterdir()):
            parent.rmdir()
            parent = parent.parent
    else:
        fs, root = _filesystem(lake)
        if fs.exists(f"{root}/{relative}"):
            fs.rm(f"{root}/{relative}", recursive=True)


def _existing_partitions(lake: str, table: str, depth: int) -> set[str]:
    """Partition folders of a table as found in the lake (ignores dot/underscore names)."""
    base = f"{RAW_SCHEMA}/{table}"
    found: set[str] = set()
    if _is_local(lake):
        root = _local_path(lake) / base
        if not root.exists():
            return found
        if depth == 0:
            return {""} if any(root.glob("*.parquet")) else found
        for path in root.glob("/".join(["*=*"] * depth)):
            if path.is_dir():
                found.add(path.relative_to(root).as_posix())
    else:
        fs, root = _filesystem(lake)
        if depth == 0:
            return {""} if fs.glob(f"{root}/{base}/*.parquet") else found
        pattern = f"{root}/{base}/" + "/".join(["*=*"] * depth)
        for path in fs.glob(pattern):
            if fs.isdir(path):
                found.add(path[len(f"{root}/{base}/"):])
    return found


# ------------------------------------------------------------------ export
def _export_table(con: duckdb.DuckDBPyConnection, lake: str, table: str, previous: dict,
                  staging: Path, force: bool) -> tuple[TableExport, dict]:
    partitions = PARTITIONS.get(table, ())
    names = tuple(name for name, _ in partitions)
    keys = ", ".join(f"{expr} as {name}" for name, expr in partitions)
    group = f" group by {', '.join(str(i + 1) for i in range(len(names)))}" if names else ""
    rows = con.execute(
        f"select {keys + ', ' if keys else ''}count(*), bit_xor(hash(t)) "
        f"from {RAW_SCHEMA}.{table} as t{group}"
    ).fetchall()
    current: dict[str, str] = {}
    counts: dict[str, int] = {}
    for row in rows:
        values, count, digest = row[:len(names)], row[-2], row[-1]
        if count == 0:
            continue  # an empty unpartitioned table (handled below)
        path = _partition_path(names, values)
        current[path] = f"{count}:{digest}"
        counts[path] = count
    if not current:
        # no rows: one empty file keeps the table's schema readable
        current[_partition_path(names, (None,) * len(names))] = "0:empty"
        counts[_partition_path(names, (None,) * len(names))] = 0

    old = previous.get("partitions", {}) if previous.get("partition_by") == list(names) else {}
    on_disk = _existing_partitions(lake, table, len(names))
    result = TableExport()
    changed = [p for p in sorted(current) if force or old.get(p) != current[p] or p not in on_disk]
    result.unchanged = len(current) - len(changed)
    result.removed = sorted((set(old) | on_disk) - set(current))

    if changed:
        data_columns = [c for c in _raw_columns(con, table) if c not in names]
        select_columns = ", ".join(f'"{c}"' for c in data_columns)
        out = staging / table
        if names:
            out.mkdir(parents=True)
            real = [p for p in changed if counts[p] > 0]
            if real:
                wanted = ", ".join(
                    "(" + ", ".join(quote_literal(v.split("=", 1)[1]) for v in p.split("/")) + ")"
                    for p in real
                )
                con.execute(
                    f"copy (select * from (select {select_columns}, {keys} from {RAW_SCHEMA}.{table}) "
                    f"where ({', '.join(names)}) in ({wanted})) to {quote_literal(str(out))} "
                    f"(format parquet, partition_by ({', '.join(names)}), "
                    f"filename_pattern 'part-{{uuid}}', overwrite_or_ignore)"
                )
            for p in changed:
                staged = out / p
                if counts[p] == 0:  # the empty-table placeholder
                    staged.mkdir(parents=True)
                    con.execute(
                        f"copy (select {select_columns} from {RAW_SCHEMA}.{table} where false) "
                        f"to {quote_literal(str(staged / f'part-{uuid.uuid4()}.parquet'))} (format parquet)"
                    )
                if not staged.is_dir():
                    raise RuntimeError(f"DuckDB did not write partition {table}/{p} as expected")
                _replace_folder(lake, staged, f"{RAW_SCHEMA}/{table}/{p}")
        else:
            out.mkdir(parents=True)
            con.execute(
                f"copy (select {select_columns} from {RAW_SCHEMA}.{table}) "
                f"to {quote_literal(str(out / f'part-{uuid.uuid4()}.parquet'))} (format parquet)"
            )
            _replace_folder(lake, out, f"{RAW_SCHEMA}/{table}")
        result.written = changed
        result.rows_written = sum(counts[p] for p in changed)
    for path in result.removed:
        _remove_folder(lake, f"{RAW_SCHEMA}/{table}/{path}")
    return result, {"partition_by": list(names), "partitions": current}


def _raw_columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    catalog, schema = raw_location(con)
    return [name for (name,) in con.execute(
        "select column_name from duckdb_columns() where database_name = ? and schema_name = ? "
        "and table_name = ? order by column_index", [catalog, schema, table]).fetchall()]


def export_lake(con: duckdb.DuckDBPyConnection, lake: str | Path, force: bool = False) -> LakeExport:
    """Write the raw tables whose content changed since the last export to the lake.

    `force` rewrites every partition. Returns what was written, removed and left alone.
    """
    lake = str(lake)
    manifest = _read_manifest(lake)
    summary = LakeExport(lake=lake)
    with _staging(lake) as staging:
        for table in RAW_DDL:
            result, state = _export_table(
                con, lake, table, manifest["tables"].get(table, {}), staging, force)
            summary.tables[table] = result
            manifest["tables"][table] = state
            # after each table, so an interrupted export redoes only what is left
            _write_manifest(lake, manifest)
    log.info("lake %s: %d partitions written", lake, summary.partitions_written)
    return summary


# ------------------------------------------------------------------ back from Spark
def load_spark_marts(con: duckdb.DuckDBPyConnection, spark_warehouse: str | Path,
                     manifest_path: Path, schema: str = "marts") -> dict[str, int]:
    """Copy the tables a dbt build made on Spark into this DuckDB warehouse's `schema`.

    The table list, column order and descriptions come from dbt's manifest.json; the data
    from each table's Parquet folder under Spark's warehouse dir (`<schema>.db/<table>`,
    partition folders included). Each table is replaced in one transaction, with its
    descriptions as comments (as dbt's persist_docs writes them on DuckDB), so the GX
    gate and publishing read the same `marts` schema whatever engine built it.
    """
    nodes = _spark_tables(manifest_path, schema)
    if not nodes:
        raise RuntimeError(f"{manifest_path} lists no {schema} tables: did `dbt build` run?")
    spark_warehouse = str(spark_warehouse)
    with tempfile.TemporaryDirectory(prefix="cchc-spark-marts-") as tmp:
        source_root = _readable_warehouse(spark_warehouse, schema, [n["alias"] for n in nodes], Path(tmp))
        counts: dict[str, int] = {}
        con.execute("begin transaction")
        try:
            con.execute(f"create schema if not exists {schema}")
            for node in nodes:
                table = node["alias"]
                folder = source_root / f"{schema}.db" / table
                files = [p for p in folder.rglob("*.parquet") if not _hidden(p.relative_to(folder))]
                if not files:
                    raise RuntimeError(f"no Parquet files for {schema}.{table} under {folder}")
                parquet = (f"read_parquet({quote_literal(str(folder / '**' / '*.parquet'))}, "
                           "hive_partitioning = true, hive_types_autocast = false, union_by_name = true)")
                present = [c for (c,) in con.execute(
                    f"select column_name from (describe select * from {parquet})").fetchall()]
                ordered = [c for c in node["columns"] if c in present]
                ordered += [c for c in present if c not in ordered]
                columns = ", ".join(f'"{c}"' for c in ordered)
                con.execute(f"create or replace table {schema}.{table} as select {columns} from {parquet}")
                if node["description"]:
                    con.execute(f"comment on table {schema}.{table} is {quote_literal(node['description'])}")
                for column, description in node["columns"].items():
                    if description and column in present:
                        con.execute(f'comment on column {schema}.{table}."{column}" '
                                    f"is {quote_literal(description)}")
                counts[table] = con.execute(f"select count(*) from {schema}.{table}").fetchone()[0]
        except BaseException:
            con.execute("rollback")
            raise
        con.execute("commit")
    return counts


def _hidden(relative: Path) -> bool:
    return any(part.startswith((".", "_")) for part in relative.parts)


def _spark_tables(manifest_path: Path, schema: str) -> list[dict]:
    manifest = json.loads(Path(manifest_path).read_text(encoding="utf-8"))
    tables = []
    for node in manifest["nodes"].values():
        if (node.get("resource_type") == "model" and node.get("schema") == schema
                and node.get("config", {}).get("materialized") in ("table", "incremental")
                and node.get("config", {}).get("enabled", True)):
            tables.append({
                "alias": node.get("alias") or node["name"],
                "description": node.get("description") or "",
                "columns": {name: col.get("description") or ""
                            for name, col in node.get("columns", {}).items()},
            })
    return sorted(tables, key=lambda n: n["alias"])


def _readable_warehouse(spark_warehouse: str, schema: str, tables: list[str], tmp: Path) -> Path:
    """A local folder holding <schema>.db/<table>: Spark's own when local, else a download."""
    if _is_local(spark_warehouse):
        return _local_path(spark_warehouse)
    fs, root = _filesystem(spark_warehouse)
    for table in tables:
        fs.get(f"{root}/{schema}.db/{table}", str(tmp / f"{schema}.db" / table), recursive=True)
    return tmp


def main() -> None:
    import argparse

    from ingest import warehouse
    from ingest.settings import get_settings

    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--force", action="store_true", help="rewrite every partition")
    args = parser.parse_args()
    settings = get_settings()
    with warehouse.connect(settings.warehouse, read_only=True, raw=settings.raw_warehouse) as con:
        result = export_lake(con, settings.lake, force=args.force)
    print(json.dumps(result.to_json(), indent=1))


if __name__ == "__main__":
    main()
