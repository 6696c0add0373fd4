"""Time publishing a release against a plain file copy of that release.

    .venv/bin/python bench/bench_publish.py [--rows 10000000]

Builds a synthetic warehouse: raw dossiers in the raw file, a staging view over them,
marts.fct_dossiers with comments, a reference seed; then times `publish_release` (copy
the warehouse file, drop what readers must not get, release metadata, swap the serving
path) and `shutil.copyfile` of the release it made. Target (issue 18): publish <= 3x the
copy. Writes bench/results/publish.json.
"""

from __future__ import annotations

import argparse
import json
import platform
import shutil
import tempfile
import time
from pathlib import Path

from ingest import warehouse
from ingest.publish import publish_release
from ingest.settings import Settings

RESULTS = Path(__file__).resolve().parent / "results" / "publish.json"


def build(settings: Settings, rows: int) -> None:
    with warehouse.connect(settings.warehouse, config=settings.duckdb_config,
                           raw=settings.raw_warehouse) as con:
        con.execute(f"""
            insert into raw.export_dossiers (file_sha256, source_file, source_row, partition_agency,
                partition_month, dossier_code, agency_code, channel, status, received_at)
            select 'f' || (i // 100000), 'f.csv', i, '000.00.' || (i % 30) || '.H34',
                '2020-' || lpad(cast(i % 12 + 1 as varchar), 2, '0'), 'KH-' || i,
                '000.00.' || (i % 30) || '.H34', i % 3 + 1, i % 10 + 1,
                timestamp '2020-01-01' + to_seconds(i % 31536000)
            from range({rows}) as t(i)""")
        con.execute("""insert into raw.load_manifest (file_sha256, source_file, source_kind, partitions,
                rows_read, rows_loaded, rows_quarantined, loaded_at)
            select distinct file_sha256, source_file, 'dossiers', '[]', 100000, 100000, 0, now()
            from raw.export_dossiers""")
        con.execute("create schema staging")
        con.execute("create view staging.stg_dossiers as select * from raw.export_dossiers")
        con.execute("create schema reference")
        con.execute("create table reference.agencies as select distinct agency_code from raw.export_dossiers")
        con.execute("create schema marts")
        con.execute("""
            create table marts.fct_dossiers as
            select dossier_code as dossier_id, agency_code || '@2016-01-01' as agency_key,
                channel as channel_code, status as status_code, received_at,
                received_at + interval 10 day as due_at,
                case when i % 7 > 0 then received_at + interval 5 day end as finished_at,
                i % 7 > 0 as is_resolved, i % 11 = 0 as is_late, channel = 2 as is_online,
                partition_month, file_sha256, source_row
            from (select *, source_row as i from staging.stg_dossiers)""")
        con.execute("comment on table marts.fct_dossiers is 'One row per dossier.'")
        con.execute("comment on column marts.fct_dossiers.dossier_id is 'The dossier code.'")
        con.execute("checkpoint")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--rows", type=int, default=10_000_000)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="cchc-bench-publish-") as tmp:
        folder = Path(tmp)
        settings = Settings(warehouse=folder / "cchc.duckdb", serving=folder / "serving" / "cchc.duckdb",
                            dbt_project_dir=folder / "dbt")
        build(settings, args.rows)
        started = time.perf_counter()
        publish_release(settings, release_id="bench")
        publish_seconds = time.perf_counter() - started
        release = settings.serving.resolve()
        started = time.perf_counter()
        shutil.copyfile(release, folder / "copy.duckdb")
        copy_seconds = time.perf_counter() - started
        sizes = {name: path.stat().st_size for name, path in (
            ("warehouse", settings.warehouse), ("raw", settings.raw_warehouse), ("release", release))}
    result = {
        "rows": args.rows,
        "publish_seconds": round(publish_seconds, 2),
        "copy_seconds": round(copy_seconds, 2),
        "ratio": round(publish_seconds / copy_seconds, 1),
        "target_ratio": 3,
        "bytes": sizes,
        "machine": f"{platform.machine()}, {platform.python_version()}",
    }
    RESULTS.parent.mkdir(parents=True, exist_ok=True)
    RESULTS.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
