"""A check as data: name, severity, why, and its rule. No GX here: the gate's caller lists
and stores checks without importing GX; the validating process (expectations/validate.py)
turns each rule into its GX expectation."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

Severity = Literal["fail", "warn"]


@dataclass(frozen=True)
class Check:
    """One rule with the severity a statistics office would defend, and why.

    The rule is one of:
    - `rows_query`: SQL reading `{batch}` that returns the offending rows (GX's
      UnexpectedRowsExpectation; `description` says the rule in words);
    - `not_negative`: a count column with no value below zero (GX's
      ExpectColumnValuesToBeBetween, min 0).
    """

    name: str
    severity: Severity
    why: str
    rows_query: str | None = None
    description: str = ""
    not_negative: str | None = None

    def __post_init__(self) -> None:
        if (self.rows_query is None) == (self.not_negative is None):
            raise ValueError(f"check {self.name}: give exactly one of rows_query, not_negative")
