"""Document facts: which province, which year, what kind of text, with their fallbacks.

Each fact comes from the text first, else from the landing path
(`reports/<province>/<year>/file`), else from what the caller gives (`--province`,
`--year`, the yearly DAG's params); the document records where each came from.
"""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

from ingest.reports.normalize import fold_char
from ingest.reports.rules import RuleSet

# Collected texts may open with the address they were taken from.
SOURCE_LINE = re.compile(r"\A[ \t]*#[ \t]*source:[ \t]*(?P<address>\S+)[^\n]*", re.IGNORECASE)
_DATELINE = re.compile(
    r"\b(?P<d>\d{1,2})/(?P<m>\d{1,2})/(?P<y>(?:19|20)\d{2})\b|\bdate (?P<y2>(?:19|20)\d{2})-(?P<m2>\d{2})\b"
)


def split_source_line(text: str) -> tuple[str, str | None]:
    """The text with its "# source: <address>" line blanked (lines keep their numbers)."""
    m = SOURCE_LINE.match(text)
    if not m:
        return text, None
    return " " * m.end() + text[m.end() :], m.group("address")


def fold(text: str) -> str:
    """Lowercase, no diacritics, single spaces: the matching form of a short name."""
    return " ".join("".join(fold_char(c) for c in text).lower().split())


def canonical_province(name: str | None, rules: RuleSet) -> str | None:
    """"Khánh Hòa", "khanh-hoa", "KHANH_HOA" -> the vocabulary's "Khanh Hoa"; None if unknown."""
    if not name:
        return None
    cleaned = fold(re.sub(r"[-_]+", " ", name))
    cleaned = re.sub(r"^(?:tinh|thanh pho|tp\.?)\s+", "", cleaned)
    return rules.lookup("province", cleaned)


def province_mentions(text: str, rules: RuleSet) -> list[tuple[int, int, str]]:
    """(start, end, province) of every province name in a matching-form text."""
    alternation = rules.vocab_alternation.get("province")
    if not alternation:
        return []
    found = []
    for m in re.finditer(rf"\b{alternation}\b", text):
        name = rules.lookup("province", m.group())
        if name:
            found.append((m.start(), m.end(), name))
    return found


def province_from_text(title: str, source: str | None, body: str, rules: RuleSet) -> str | None:
    """The text's own province: named in its title line, else in its source address
    (a provincial paper or portal: "baoquangnam.vn", "gia-lai-dung-dau-..."), else the
    first "tinh X" / "thanh pho X" of the body."""
    for _, _, name in province_mentions(title, rules):
        return name
    if source:
        host = fold(re.sub(r"^\w+://", "", source).split("/")[0])
        for code in rules.vocab.get("province", {}):
            if fold(code).replace(" ", "") in host.replace(".", ""):
                return code
        for _, _, name in province_mentions(fold(re.sub(r"[-_/.]+", " ", source)), rules):
            return name
    found = rules.document.get("province")
    if found:
        m = found.search(body)
        if m:
            return rules.lookup("province", m.group("province"))
    return None


def landing_facts(path: Path | None, rules: RuleSet) -> tuple[str | None, int | None]:
    """Province and year from a landing path .../<province>/<year>/<file>."""
    if path is None:
        return None, None
    parts = Path(path).parts
    if len(parts) < 3 or not re.fullmatch(r"(?:19|20)\d{2}", parts[-2]):
        return None, None
    return canonical_province(parts[-3], rules), int(parts[-2])


def dateline(lines: list[str]) -> dt.date | None:
    """The date a text was published, from its first lines ("08/11/2020 - 21:07")."""
    for line in lines:
        m = _DATELINE.search(line)
        if not m:
            continue
        try:
            if m.group("y"):
                return dt.date(int(m.group("y")), int(m.group("m")), int(m.group("d")))
            return dt.date(int(m.group("y2")), int(m.group("m2")), 1)
        except ValueError:
            continue
    return None
