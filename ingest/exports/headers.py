"""Header aliases (kept in header_aliases.yml) and header-row detection."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import yaml

ALIASES_FILE = Path(__file__).with_name("header_aliases.yml")
# A header row must name at least these, plus one more known column.
REQUIRED = ("dossier_code", "received_at")
MIN_KNOWN = 3
_NON_ALNUM = re.compile(r"[^a-z0-9]+")


def header_key(text: str) -> str:
    """Diacritics, case, spaces and punctuation removed: 'Ngày tiếp nhận' -> 'ngaytiepnhan'."""
    decomposed = unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D"))
    stripped = "".join(ch for ch in decomposed if not unicodedata.combining(ch))
    return _NON_ALNUM.sub("", stripped.lower())


@cache
def alias_index(path: Path = ALIASES_FILE) -> dict[str, str]:
    """Alias key -> canonical column; an alias claimed by two columns is an error."""
    data = yaml.safe_load(path.read_text(encoding="utf-8"))
    index: dict[str, str] = {}
    for canonical, aliases in data.items():
        for alias in [canonical, *aliases]:
            key = header_key(str(alias))
            if index.setdefault(key, canonical) != canonical:
                raise ValueError(f"{path}: alias {alias!r} maps to {index[key]} and {canonical}")
    return index


@dataclass(frozen=True)
class HeaderMap:
    """Source header cells, and for each position the canonical column (None = extra)."""

    names: tuple[str, ...]
    canonical: tuple[str | None, ...]

    def position(self, column: str) -> int | None:
        return self.canonical.index(column) if column in self.canonical else None


def map_header(cells: Sequence[object]) -> HeaderMap | None:
    """Map one candidate header row; None when it does not look like a dossier header."""
    index = alias_index()
    names: list[str] = []
    canonical: list[str | None] = []
    for position, cell in enumerate(cells):
        name = unicodedata.normalize("NFC", str(cell).strip()) if cell is not None else ""
        names.append(name or f"column_{position + 1}")
        column = index.get(header_key(name)) if name else None
        # A repeated column keeps its first occurrence; later ones stay as extra columns.
        canonical.append(column if column not in canonical else None)
    known = {c for c in canonical if c}
    if not all(r in known for r in REQUIRED) or len(known) < MIN_KNOWN:
        return None
    return HeaderMap(tuple(names), tuple(canonical))


# --- Shapes: dossier-level and the aggregated form (Bieu II.06a) -----------------------

AGGREGATE_ALIASES_FILE = Path(__file__).with_name("aggregate_aliases.yml")
SHAPE_DOSSIERS = "dossiers"
SHAPE_AGGREGATE = "aggregate"
AGGREGATE_COUNTS = (
    "received_total", "received_online", "received_in_person_or_post", "received_carried_over",
    "resolved_total", "resolved_early", "resolved_on_time", "resolved_overdue",
    "pending_total", "pending_within_deadline", "pending_overdue",
)
AGGREGATE_MIN_COUNTS = 3  # an aggregate header names a field column and at least 3 counts
_NUMBER_CELL = re.compile(r"^\(?(\d{1,2}|[A-Z])\)?$")


@dataclass(frozen=True)
class AggregateAliases:
    groups: dict[str, str]  # key -> group
    measures: dict[str, str]  # key -> measure
    prefixes: tuple[str, ...]
    flat: dict[str, str]  # key -> canonical column
    total_labels: tuple[str, ...]  # keys


@cache
def aggregate_aliases(path: Path = AGGREGATE_ALIASES_FILE) -> AggregateAliases:
    data = yaml.safe_load(path.read_text(encoding="utf-8"))

    def index(section: dict) -> dict[str, str]:
        out: dict[str, str] = {}
        for canonical, aliases in section.items():
            for alias in [canonical, *aliases]:
                key = header_key(str(alias))
                if out.setdefault(key, canonical) != canonical:
                    raise ValueError(f"{path}: alias {alias!r} maps to {out[key]} and {canonical}")
        return out

    flat = index(data["flat"])
    unknown = set(flat.values()) - set(AGGREGATE_COUNTS) - {"field_code", "field_name"}
    if unknown:
        raise ValueError(f"{path}: unknown aggregate columns {sorted(unknown)}")
    prefixes = sorted((header_key(p) for p in data["measure_prefixes"]), key=len, reverse=True)
    return AggregateAliases(index(data["groups"]), index(data["measures"]), tuple(prefixes),
                            flat, tuple(header_key(t) for t in data["total_row_labels"]))


def _cell(cell: object) -> str:
    return unicodedata.normalize("NFC", str(cell).strip()) if cell is not None else ""


def _measure(key: str, aliases: AggregateAliases) -> str | None:
    if key in aliases.measures:
        return aliases.measures[key]
    for prefix in aliases.prefixes:
        if key.startswith(prefix) and key[len(prefix):] in aliases.measures:
            return aliases.measures[key[len(prefix):]]
    return None


def _fill_right(cells: Sequence[object], width: int) -> list[str]:
    """Merged group cells: the label sits in the first column of the range, the rest empty."""
    out, last = [], ""
    for position in range(width):
        text = _cell(cells[position]) if position < len(cells) else ""
        last = text or last
        out.append(last)
    return out


def _aggregate_map(names: list[str], columns: list[str | None]) -> HeaderMap | None:
    canonical: list[str | None] = []
    for column in columns:
        canonical.append(column if column not in canonical else None)
    known = {c for c in canonical if c}
    counts = known.intersection(AGGREGATE_COUNTS)
    if not known.intersection({"field_code", "field_name"}) or len(counts) < AGGREGATE_MIN_COUNTS:
        return None
    return HeaderMap(tuple(names), tuple(canonical))


def map_aggregate_header(upper: Sequence[object],
                         lower: Sequence[object] | None = None) -> HeaderMap | None:
    """An aggregate header from one row, or from a group row above a measure row."""
    aliases = aggregate_aliases()
    width = max(len(upper), len(lower or ()))
    groups = _fill_right(upper, width) if lower is not None else [""] * width
    names: list[str] = []
    columns: list[str | None] = []
    for position in range(width):
        top = _cell(upper[position]) if position < len(upper) else ""
        low = _cell(lower[position]) if lower is not None and position < len(lower) else ""
        column = None
        if lower is None:
            column = aliases.flat.get(header_key(top)) if top else None
            names.append(top or f"column_{position + 1}")
        else:
            group = aliases.groups.get(header_key(groups[position]))
            measure = _measure(header_key(low), aliases) if low else None
            if group and measure and f"{group}_{measure}" in AGGREGATE_COUNTS:
                column = f"{group}_{measure}"
            elif not low and top:  # a column spanning both rows ("Lĩnh vực")
                column = aliases.flat.get(header_key(top))
            elif low and not group:
                column = aliases.flat.get(header_key(low))
            label = " / ".join(t for t in (groups[position] if low else top, low) if t)
            names.append(label or f"column_{position + 1}")
        columns.append(column)
    return _aggregate_map(names, columns)


def map_header_two_rows(upper: Sequence[object], lower: Sequence[object]) -> HeaderMap | None:
    """A dossier header over two rows: 'Ngày' merged over 'Tiếp nhận', 'Hẹn trả', ..."""
    index = alias_index()
    width = max(len(upper), len(lower))
    groups = _fill_right(upper, width)
    names: list[str] = []
    for position in range(width):
        top = _cell(upper[position]) if position < len(upper) else ""
        low = _cell(lower[position]) if position < len(lower) else ""
        name = top
        if low:
            group = groups[position]
            candidates = [low, f"{group} {low}", f"{low} {group}"]
            name = next((c for c in candidates if header_key(c) in index), f"{group} / {low}"
                        if group else low)
        names.append(name)
    return map_header(names)


def is_column_number_row(cells: Sequence[object]) -> bool:
    """The '(1) (2) (3) ...' row forms print under their header."""
    values = [_cell(c) for c in cells if _cell(c)]
    if len(values) < 3 or not all(_NUMBER_CELL.match(v) for v in values):
        return False
    numbers = [int(v.strip("()")) for v in values if v.strip("()").isdigit()]
    return len(numbers) >= 3 and numbers == list(range(numbers[0], numbers[0] + len(numbers)))


@dataclass(frozen=True)
class FoundHeader:
    shape: str
    header: HeaderMap
    rows: int  # rows up to and including the header (and a column-number row under it)
    title: str  # the rows above the header, joined


def _known(header: HeaderMap | None) -> int:
    return 0 if header is None else sum(1 for c in header.canonical if c)


def find_header(rows: Sequence[Sequence[object]]) -> FoundHeader | None:
    """The first header row (or pair of rows) in `rows`, of either shape."""
    for i, row in enumerate(rows):
        below = rows[i + 1] if i + 1 < len(rows) else None
        found: tuple[str, HeaderMap, int] | None = None
        single, double = map_header(row), map_header_two_rows(row, below) if below else None
        if _known(double) > _known(single):
            found = (SHAPE_DOSSIERS, double, 2)
        elif single:
            found = (SHAPE_DOSSIERS, single, 1)
        else:
            single = map_aggregate_header(row)
            double = map_aggregate_header(row, below) if below else None
            if _known(double) > _known(single):
                found = (SHAPE_AGGREGATE, double, 2)
            elif single:
                found = (SHAPE_AGGREGATE, single, 1)
        if found is None:
            continue
        shape, header, size = found
        used = i + size
        if used < len(rows) and is_column_number_row(rows[used]):
            used += 1
        title = " ".join(_cell(c) for r in rows[:i] for c in r if _cell(c))
        return FoundHeader(shape, header, used, title)
    return None
