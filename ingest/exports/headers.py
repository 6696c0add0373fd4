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
