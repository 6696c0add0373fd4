"""Dossier facts: dates that must hold for any figure built on them.

Asserted by dbt instead (one framework per assertion; `dbt build` fails before the gate
runs): dossier_id unique and not null, channel_code in (1, 2, 3), on time + late =
resolved per row, the relationships to the dimensions
(dbt_project/models/marts/core/_core__models.yml)."""

from __future__ import annotations

from expectations.suites._check import Check

TABLE = "fct_dossiers"


def _offending(columns: str, condition: str) -> str:
    """The offending rows by their export line and the columns the rule reads.

    Not `select *`: DuckDB cannot push a filter that compares two columns into its scan, so
    every selected column is read for all rows before filtering; the export line's columns
    are cheap where a dossier id is not (1.3 s per check at 10M rows; the line takes 0.2 s).
    """
    return f"select source_file, source_row, {columns} from {{batch}} where {condition}"


def checks() -> list[Check]:
    return [
        Check("due_not_before_received", "fail",
              "the loader quarantines such rows; one here means the quarantine leaked",
              rows_query=_offending("received_at, due_at", "due_at < received_at"),
              description="due date not before received date"),
        Check("finished_not_before_received", "fail",
              "the loader quarantines such rows; one here means the quarantine leaked",
              rows_query=_offending("received_at, finished_at", "finished_at < received_at"),
              description="finished not before received"),
        Check("agency_known", "warn",
              "counted on the unknown member: totals stay right, per-agency marts miss them",
              rows_query=_offending("agency_id", "agency_id = 'unknown'"),
              description="dossiers on an agency missing from the reference data"),
        Check("procedure_known", "warn",
              "counted on the unknown member: digitisation marts cannot place them",
              rows_query=_offending("procedure_id", "procedure_id = 'unknown'"),
              description="dossiers on a procedure missing from the catalog"),
    ]
