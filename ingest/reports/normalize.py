"""Report text -> a matching form that still points back at the original characters.

The original text is kept untouched for provenance. The matching form is NFC, with
diacritics folded (đ -> d), lowercase, and OCR confusions repaired where the context makes
them certain. Every character of the matching form remembers the index of the original
character it came from, so a regex hit can be traced back to its line and source sentence.
The OCR repairs themselves are data (``rules/ocr.yml``), not code.
"""

from __future__ import annotations

import re
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

import yaml

RULES_DIR = Path(__file__).resolve().parent / "rules"
# libyaml's parser when PyYAML has it (its wheels do): ten times the pure-Python one.
_YAML_LOADER = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def read_yaml(path: Path) -> Any:
    """A YAML data file (rules, vocabularies, the catalog)."""
    return yaml.load(Path(path).read_text(encoding="utf-8"), Loader=_YAML_LOADER)  # noqa: S506 (a safe loader)

# A Vietnamese number: "1.787", "2.971.152", "65,27", "06", "1232". The thousands group
# form is tried first so "1.787" is never read as 1 followed by ".787".
NUMBER_RE = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?|\d+(?:,\d+)?"

# Characters that NFKC would expand but that we want as plain letters; everything else
# that is not a combining mark passes through as is.
_SPECIAL = {"đ": "d", "Đ": "D", "ð": "d", "Ð": "D", "ﬁ": "fi", "ﬂ": "fl", "\u00a0": " "}


@dataclass(frozen=True)
class OcrRepair:
    """One regex substitution over the matching form."""

    pattern: re.Pattern[str]
    replacement: str
    case_sensitive: bool


@dataclass
class Normalized:
    """The matching form of a text and, per character, the index into the original."""

    original: str
    text: str
    origin: list[int]

    def original_index(self, pos: int) -> int:
        """Index in `original` of the matching-form character at `pos` (clamped)."""
        if not self.origin:
            return 0
        return self.origin[min(max(pos, 0), len(self.origin) - 1)]


def parse_number(raw: str) -> float:
    """Vietnamese number text -> float: "1.787" -> 1787, "65,27" -> 65.27, "06" -> 6."""
    cleaned = raw.strip().replace(" ", "")
    if re.fullmatch(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?", cleaned):
        cleaned = cleaned.replace(".", "")
    cleaned = cleaned.replace(",", ".")
    return float(cleaned)


def parse_fraction(raw: str) -> tuple[float, float | None]:
    """ "128/136" -> (128, 136); a plain number gives (value, None)."""
    if "/" in raw:
        left, right = raw.split("/", 1)
        return parse_number(left), parse_number(right)
    return parse_number(raw), None


@lru_cache(maxsize=4096)
def fold_char(char: str) -> str:
    """One original character -> its folded form (may be empty for combining marks)."""
    if char in _SPECIAL:
        return _SPECIAL[char]
    if unicodedata.combining(char):
        return ""
    decomposed = unicodedata.normalize("NFD", char)
    return "".join(c for c in decomposed if not unicodedata.combining(c)) or char


@lru_cache(maxsize=4)
def load_ocr_repairs(path: Path = RULES_DIR / "ocr.yml") -> tuple[OcrRepair, ...]:
    """The OCR repair table, in the order the YAML lists it."""
    data = read_yaml(path) or {}
    repairs = []
    for entry in data.get("repairs", []):
        flags = 0 if entry.get("case_sensitive") else re.IGNORECASE
        repairs.append(
            OcrRepair(
                pattern=re.compile(entry["pattern"], flags),
                replacement=entry["replace"],
                case_sensitive=bool(entry.get("case_sensitive")),
            )
        )
    return tuple(repairs)


def _substitute(text: str, origin: list[int], repair: OcrRepair) -> tuple[str, list[int]]:
    """Apply one repair, keeping the origin map aligned with the new text."""
    pieces: list[str] = []
    new_origin: list[int] = []
    last = 0
    for match in repair.pattern.finditer(text):
        start, end = match.span()
        pieces.append(text[last:start])
        new_origin.extend(origin[last:start])
        replacement = match.expand(repair.replacement)
        pieces.append(replacement)
        # Replacement characters point at the matched characters one by one, the tail at
        # the last matched one, so line numbers stay right even when lengths differ.
        span = max(end - start, 1)
        for k in range(len(replacement)):
            new_origin.append(origin[min(start + min(k, span - 1), len(origin) - 1)])
        last = end
    if last == 0 and not pieces:
        return text, origin
    pieces.append(text[last:])
    new_origin.extend(origin[last:])
    return "".join(pieces), new_origin


def normalize(original: str, repairs: tuple[OcrRepair, ...] | None = None) -> Normalized:
    """Fold, repair and lowercase `original`; newlines are kept so lines stay visible."""
    if repairs is None:
        repairs = load_ocr_repairs()
    nfc = original  # folding works per character on NFC or NFD alike
    chars: list[str] = []
    origin: list[int] = []
    for index, char in enumerate(nfc):
        folded = fold_char(char)
        chars.append(folded)
        if len(folded) == 1:
            origin.append(index)
        else:
            origin.extend([index] * len(folded))
    text = "".join(chars)
    # Case-sensitive repairs first ("P" for "Đ" at word start needs the capital), then
    # lowercase (ASCII after folding, so lengths do not change), then the rest.
    for repair in repairs:
        if repair.case_sensitive:
            text, origin = _substitute(text, origin, repair)
    # Lowercase only where it keeps the length ("İ".lower() is two characters).
    lowered = text.lower()
    text = lowered if len(lowered) == len(text) else "".join(
        c.lower() if len(c.lower()) == 1 else c for c in text)
    for repair in repairs:
        if not repair.case_sensitive:
            text, origin = _substitute(text, origin, repair)
    return Normalized(original=original, text=text, origin=origin)


def fold(text: str) -> str:
    """The matching form of a short string (no origin map), e.g. for vocabularies."""
    return normalize(text).text


def title_case(name: str) -> str:
    """ "cam ranh" -> "Cam Ranh" (district and person names)."""
    return " ".join(word[:1].upper() + word[1:] for word in name.split())


def printed_decimals(raw: str) -> int:
    """Decimal places of a Vietnamese-formatted number: digits after the decimal comma
    ("65,27" -> 2, "1.787" -> 0, "128/136" -> 0)."""
    number = raw.split("/")[0].strip()
    whole, comma, fraction = number.rpartition(",")
    digits = re.match(r"\d*", fraction).group(0) if comma else ""
    return len(digits)
