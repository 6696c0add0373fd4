"""What extraction produces: typed figures, mentions and change statements of one report."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

# Units whose values are whole numbers in the catalog; percent stays a float.
_INTEGRAL_UNITS = {"count", "year", "rank", "vnd", "million_vnd"}


class ReportError(ValueError):
    """The input cannot be read as a CCHC report; the message names the file."""


@dataclass(frozen=True)
class Figure:
    metric: str
    value: float | str
    unit: str
    qualifiers: dict
    denominator: float | None
    line: int
    text: str
    # Decimal places as printed ("98,00%" -> 2, "51%" -> 0): the rounding a consistency
    # check must allow. Not part of the JSON-lines contract.
    decimals: int | None = None

    def to_json(self) -> dict:
        """The JSON-lines record: counts as int, percentages as float, text as is."""
        value: Any = self.value
        if isinstance(value, float) and self.unit in _INTEGRAL_UNITS and value.is_integer():
            value = int(value)
        denominator: Any = self.denominator
        if isinstance(denominator, float) and denominator.is_integer():
            denominator = int(denominator)
        return {
            "metric": self.metric,
            "value": value,
            "unit": self.unit,
            "qualifiers": dict(self.qualifiers),
            "denominator": denominator,
            "line": self.line,
            "text": self.text,
        }


@dataclass(frozen=True)
class Mention:
    value: float
    unit: str | None
    raw_text: str
    line: int
    sentence: str
    section: str | None
    metric: str | None


@dataclass(frozen=True)
class ReportExtraction:
    report_id: str
    source_file: str
    document: dict
    figures: list[Figure]
    mentions: list[Mention]
    changes: list[Change] = dataclasses.field(default_factory=list)


@dataclass(frozen=True)
class Change:
    """A printed change of a figure against the previous year ("tang 958 ... gap hon 06 lan")."""

    metric: str
    qualifiers: dict
    value: float       # the figure this year
    delta: float       # signed: an increase is positive
    ratio: float | None  # "gap K lan"
    ratio_bound: str | None  # more | nearly | None (as printed)
    line: int
    text: str
