"""Publish the marts to a read-only serving copy, swapped atomically.

Readers (analysts, BI) open the serving file, never the writer's file, so a load
never blocks a dashboard. The new copy is built beside the old one and moved into
place with one rename: a reader sees the old release or the new, never a mix.
"""

from __future__ import annotations

import json
import os
import re

import duckdb

from ingest.settings import Settings

# Schemas built by dbt (and the GX runner) that readers get.
PUBLISHED_SCHEMAS = ("marts", "audit")


REGISTER_MART = """
create table marts.rpt_discrepancy_register as
with reports as (
    select distinct report_id, province_name, report_year from src.marts.fct_report_figures
)
select
    register.check_name,
    register.severity,
    register.suite,
    reports.province_name,
    reports.report_year,
    register.metrics,
    register.expected,
    register.observed,
    register.difference,
    register.tolerance,
    register.source_lines,
    register.message,
    register.report_id
from src.audit.discrepancy_register as register
left join reports on register.report_id = reports.report_id
where register.run_id = ?
order by register.severity, register.check_name, register.metrics
"""


def _safe_id(release_id: str) -> str:
    return re.sub(r"[^A-Za-z0-9_.-]+", "_", release_id)[:80]


def publish_release(settings: Settings, release_id: str) -> dict:
    """Copy the published schemas into a fresh file and swap it in; return what was published."""
    source = settings.warehouse.resolve()
    target = settings.serving.resolve()
    target.parent.mkdir(parents=True, exist_ok=True)
    staging = target.with_name(f".{target.name}.{_safe_id(release_id)}.tmp")
    staging.unlink(missing_ok=True)

    tables: dict[str, int] = {}
    with duckdb.connect(str(staging)) as con:
        con.execute(f"attach '{source}' as src (read_only)")
        rows = con.execute(
            "select table_schema, table_name from information_schema.tables "
            "where table_catalog = 'src' and table_schema in ? and table_type = 'BASE TABLE' "
            "order by all",
            [list(PUBLISHED_SCHEMAS)],
        ).fetchall()
        if not rows:
            raise RuntimeError(f"{source} has no marts to publish: run `dbt build` first")
        for schema, table in rows:
            con.execute(f"create schema if not exists {schema}")
            con.execute(f"create table {schema}.{table} as select * from src.{schema}.{table}")
            tables[f"{schema}.{table}"] = con.execute(
                f"select count(*) from {schema}.{table}"
            ).fetchone()[0]
        if ("audit", "discrepancy_register") in rows:
            # The register of this release, for analysts: what disagreed, by how much, where.
            con.execute(REGISTER_MART, [release_id])
            tables["marts.rpt_discrepancy_register"] = con.execute(
                "select count(*) from marts.rpt_discrepancy_register"
            ).fetchone()[0]
        con.execute("detach src")
        con.execute("create schema if not exists meta")
        con.execute(
            "create table meta.release as select ? as release_id, ? as tables",
            [release_id, json.dumps(tables)],
        )
        con.execute("checkpoint")
    os.replace(staging, target)
    return {"release_id": release_id, "serving": str(target), "tables": tables}
