"""Dossier facts: keys and dates that must hold for any figure built on them."""

from __future__ import annotations

import great_expectations.expectations as gxe

from expectations.suites._check import Check

TABLE = "fct_dossiers"


def checks() -> list[Check]:
    return [
        Check("dossier_id_not_null", "fail",
              gxe.ExpectColumnValuesToNotBeNull(column="dossier_id"),
              "every fact row needs its key"),
        Check("dossier_id_unique", "fail",
              gxe.ExpectColumnValuesToBeUnique(column="dossier_id"),
              "a dossier counted twice inflates every rate"),
        Check("channel_known", "fail",
              gxe.ExpectColumnValuesToBeInSet(column="channel_code", value_set=[1, 2, 3]),
              "the online rate's numerator depends on the channel code"),
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
