"""Comments for the tables a release carries besides dbt's marts (dbt persists its own
descriptions): the gate's audit tables and the release's metadata. Every published table
and column is described where readers look (DuckDB `duckdb_columns().comment`,
Postgres `\\d+`, BI tools' column descriptions)."""

from __future__ import annotations

import duckdb

from ingest.warehouse import quote_literal

COMMENTS: dict[str, tuple[str, dict[str, str]]] = {
    "audit.check_results": (
        "One row per check of each gate run (GX Core suites over the marts): passed or not.",
        {
            "run_id": "The gate run (also the release id of the release it gated).",
            "suite": "The table the check validates.",
            "check_name": "The check (expectations/suites, expectations/report_consistency.py).",
            "severity": "fail: a failure blocks publishing; warn: published as a finding.",
            "success": "The check passed.",
            "unexpected_count": "Rows that broke it (findings), when the check counts rows.",
            "observed": "What GX observed, as text.",
            "why": "Why the check exists and why at this severity.",
            "expected": "What the check expects, in words.",
            "metrics": "JSON list of the metric codes in the offending rows, when known.",
        }),
    "audit.discrepancy_register": (
        "Every finding of every gate run as numbers (marts.rpt_discrepancy_register has this "
        "release's findings in words).",
        {
            "run_id": "The gate run.",
            "suite": "The table the check validates.",
            "check_name": "The check that found it.",
            "severity": "warn or fail.",
            "report_id": "The report the figures belong to.",
            "metrics": "Metric codes involved, comma-separated.",
            "expected": "What the other figure(s) say the value should be.",
            "observed": "The value found.",
            "difference": "observed - expected.",
            "tolerance": "How far observed may be from expected before it is a finding.",
            "source_lines": "Lines of the report text the figures come from (as the check listed them).",
            "message": "Why the check exists (the finding in words is in the published register).",
        }),
    "audit.gate_runs": (
        "One row per gate run: its Great Expectations run identifier and counts.",
        {
            "run_id": "The gate run (the release id).",
            "gx_run_name": "GX run name (with gx_run_time, GX's run identifier in the Data Docs).",
            "gx_run_time": "GX run time (UTC).",
            "checks": "Checks run.",
            "passed": "Checks passed.",
            "failed": "fail-severity checks failed (any blocks publishing).",
            "warned": "warn-severity checks with findings.",
        }),
    "meta.release": (
        "This release: when it was published, the dbt build and gate run that made it, the "
        "gate's counts, its sources and its tables.",
        {
            "release_id": "The release (also the gate run id).",
            "published_at": "When it was published (UTC).",
            "dbt_invocation_id": "The `dbt build` that made these marts (dbt run_results.json).",
            "gx_run_name": "The gate run that passed them (GX run name).",
            "gx_run_time": "Its time (UTC).",
            "checks_passed": "Checks passed.",
            "checks_failed": "fail-severity checks failed (0 in a published release).",
            "checks_warned": "warn-severity checks with findings (see marts.rpt_discrepancy_register).",
            "source_files": "Files the release was built from (meta.source_manifest).",
            "source_rows": "Rows read from them.",
            "tables": "JSON: published table -> rows.",
        }),
    "meta.build_inputs": (
        "What this release was built from, as fingerprints: a run whose warehouse and code "
        "match a kept release's publishes nothing new (`cchc run --rebuild` does).",
        {
            "sources_fingerprint": "sha256 over the loaded files and partitions (meta.source_manifest).",
            "code_fingerprint": "sha256 over the dbt models, seeds, macros, tests and the GX suites.",
        }),
    "meta.source_manifest": (
        "The files this release was built from, by sha256, with what loading each found "
        "(the warehouse's raw.load_manifest at publishing).",
        {
            "file_sha256": "sha256 of the file's bytes (the same bytes load once).",
            "source_file": "Path of the file when it was loaded.",
            "source_kind": "report, dossiers or aggregates.",
            "partitions": "JSON list of the partitions the file holds (agency/yyyy-mm, or province/year).",
            "rows_read": "Data rows read (rows_loaded + rows_quarantined).",
            "rows_loaded": "Rows loaded.",
            "rows_quarantined": "Rows quarantined with a reason (raw.export_quarantine).",
            "loaded_at": "When the file was loaded (UTC).",
            "shape": "Exports: dossiers (one row per dossier) or aggregate (counts per field).",
            "rows_blank": "Exports: blank rows and empty lines skipped (not in rows_read).",
            "rows_total": "Exports: total rows skipped (not in rows_read).",
            "total_row_check": ("Aggregates: per sheet, whether the total row agrees with the column "
                                "sums (JSON)."),
            "duplicates_across_files": ("Dossiers: codes other files had already loaded "
                                        "(dbt keeps the latest)."),
            "sample_fraction": ("Exports declared at a scale (generated samples, e.g. 0.01); "
                                "null: a full export."),
        }),
}


def comment_release_tables(con: duckdb.DuckDBPyConnection) -> None:
    """Comment the audit and meta tables present in the release `con` is building."""
    present: dict[str, set[str]] = {}
    for schema, table, column in con.execute(
            "select schema_name, table_name, column_name from duckdb_columns() "
            "where database_name = current_database()").fetchall():
        present.setdefault(f"{schema}.{table}", set()).add(column)
    for table, (table_comment, columns) in COMMENTS.items():
        if table not in present:
            continue
        con.execute(f"comment on table {table} is {quote_literal(table_comment)}")
        for column, comment in columns.items():
            if column in present[table]:
                con.execute(f'comment on column {table}."{column}" is {quote_literal(comment)}')
