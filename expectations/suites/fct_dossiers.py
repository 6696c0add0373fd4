"""Dossier facts: dates that must hold for any figure built on them.

Asserted by dbt instead (one framework per assertion; `dbt build` fails before the gate
runs): dossier_id unique and not null, channel_code in (1, 2, 3), on time + late =
resolved per row, the relationships to the dimensions
(dbt_project/models/marts/core/_core__models.yml)."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites._check import Check

TABLE = "fct_dossiers"


def checks() -> list[Check]:
    return [
        Check("due_not_before_received", "fail",
              gxe.UnexpectedRowsExpectation(
                  unexpected_rows_query="select * from {batch} where due_at < received_at",
                  description="due date not before received date"),
              "the loader quarantines such rows; one here means the quarantine leaked"),
        Check("finished_not_before_received", "fail",
              gxe.UnexpectedRowsExpectation(
                  unexpected_rows_query="select * from {batch} where finished_at < received_at",
                  description="finished not before received"),
              "the loader quarantines such rows; one here means the quarantine leaked"),
        Check("agency_known", "warn",
              gxe.UnexpectedRowsExpectation(
                  unexpected_rows_query="select * from {batch} where agency_id = 'unknown'",
                  description="dossiers on an agency missing from the reference data"),
              "counted on the unknown member: totals stay right, per-agency marts miss them"),
        Check("procedure_known", "warn",
              gxe.UnexpectedRowsExpectation(
                  unexpected_rows_query="select * from {batch} where procedure_id = 'unknown'",
                  description="dossiers on a procedure missing from the catalog"),
              "counted on the unknown member: digitisation marts cannot place them"),
    ]
