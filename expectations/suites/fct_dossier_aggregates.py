"""Aggregated forms (Bieu II.06a): the parts of each line add up to its totals.

Asserted by dbt instead: dossier_aggregate_id unique and not null, the relationships to the
dimensions (dbt_project/models/marts/core/_core__models.yml)."""

from __future__ import annotations

from expectations.suites._check import Check

TABLE = "fct_dossier_aggregates"
COUNTS = (
    "dossiers_received", "dossiers_received_online", "dossiers_received_in_person_or_post",
    "dossiers_carried_over", "dossiers_resolved", "dossiers_resolved_early",
    "dossiers_resolved_on_time", "dossiers_resolved_overdue", "dossiers_pending",
    "dossiers_pending_within_deadline", "dossiers_pending_overdue",
)
# (whole, parts): received in the period = online + in person or by post, plus what
# the previous period carried over (the form's "Tu ky truoc"); resolved and pending split
# by deadline.
PART_WHOLE = (
    ("dossiers_received", ("dossiers_received_online", "dossiers_received_in_person_or_post",
                           "dossiers_carried_over")),
    ("dossiers_resolved", ("dossiers_resolved_early", "dossiers_resolved_on_time",
                           "dossiers_resolved_overdue")),
    ("dossiers_pending", ("dossiers_pending_within_deadline", "dossiers_pending_overdue")),
)


def _part_whole_query(whole: str, parts: tuple[str, ...]) -> str:
    total = " + ".join(f"coalesce({part}, 0)" for part in parts)
    return f"""
        select
            cast(null as varchar) as report_id,
            '{whole}' as metrics,
            {whole} as expected,
            {total} as observed,
            {total} - {whole} as difference,
            0 as tolerance,
            source_file || ':' || cast(source_row as varchar) as source_lines
        from {{batch}}
        where {whole} is not null and {total} <> {whole}
    """


def checks() -> list[Check]:
    non_negative = [
        Check(f"{column}_not_negative", "fail",
              "the loader quarantines negative counts; one here means the quarantine leaked",
              not_negative=column)
        for column in COUNTS
    ]
    return [
        *non_negative,
        *(
            Check(f"{whole}_adds_up", "warn",
                  "an agency's own form disagreeing with itself is a finding for the register; "
                  "its lines still count",
                  rows_query=_part_whole_query(whole, parts),
                  description=f"{whole} = {' + '.join(parts)}")
            for whole, parts in PART_WHOLE
        ),
    ]
