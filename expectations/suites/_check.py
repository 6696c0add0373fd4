from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from great_expectations.expectations.expectation import Expectation

Severity = Literal["fail", "warn"]


@dataclass(frozen=True)
class Check:
    """One expectation with the severity a statistics office would defend, and why."""

    name: str
    severity: Severity
    expectation: Expectation
    why: str
