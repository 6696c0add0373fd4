"""Statistics tables flattened to text (portal dashboards, copied spreadsheets).

A header line names the columns ("Muc do Tong Da xu ly Chua xu ly Truoc han Dung han Tre
han", or service levels "Muc do 1 Muc do 2 ..."); each following row is a label and its
numbers. A "%" value is the share of the value before it. The column and row vocabularies
are data (rules/families.yml, `table`).
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from ingest.reports.families import NUMBER_TOKEN, Families, parse_printed


@dataclass(frozen=True)
class TableFigure:
    metric: str
    value: float
    denominator: float | None
    decimals: int
    qualifiers: dict[str, Any]
    line: int  # index of the line in the list read
    start: int  # value span in that line
    end: int


@dataclass(frozen=True)
class _Cell:
    value: float
    decimals: int
    is_percent: bool
    start: int
    end: int


def _labels(line: str, vocab: dict[str, re.Pattern[str]]) -> list[tuple[int, str]]:
    """Vocabulary codes found in `line`, in order, never two over the same words."""
    found: list[tuple[int, int, str]] = []
    for code, regex in vocab.items():
        for m in regex.finditer(line):
            found.append((m.start(), m.end(), code))
    found.sort(key=lambda f: (f[0], -f[1]))
    labels, taken_until = [], -1
    for start, end, code in found:
        if start >= taken_until:
            labels.append((start, code))
            taken_until = end
    return labels


def _cells(line: str, from_pos: int) -> list[_Cell]:
    cells = []
    for m in NUMBER_TOKEN.finditer(line, from_pos):
        if m.group("den"):
            return []  # "x/y" is not a table cell
        value, decimals = parse_printed(m.group("num"))
        is_percent = line[m.end() : m.end() + 2].lstrip().startswith("%")
        cells.append(_Cell(value, decimals, is_percent, m.start("num"), m.end("num")))
    return cells


def _compile_all(entries: dict) -> dict[str, re.Pattern[str]]:
    return {str(code): re.compile(rf"\b(?:{rx})\b") for code, rx in entries.items()}


def read_tables(
    lines: list[str], families: Families, catalog: dict[str, Any]
) -> tuple[list[TableFigure], list[int]]:
    """Figures of the tables among `lines` (matching form, whitespace collapsed), and
    the lines read as table rows or numbered headers (their other numbers are no figures
    of the text)."""
    spec = families.table
    if not spec:
        return [], []
    rows: list[int] = []
    dossier_columns = _compile_all(spec["dossier_columns"])
    row_levels = _compile_all(families.labels["service_level"])
    column_levels = _compile_all(spec["column_service_level"])
    procedure_rows = _compile_all(spec["procedure_rows"])
    figures: list[TableFigure] = []
    columns: list[str] = []
    kind = ""
    for number, line in enumerate(lines):
        digits = NUMBER_TOKEN.search(line)
        levels = _labels(line, column_levels)
        metrics = [code for _, code in _labels(line, dossier_columns)]
        if len(set(metrics)) >= 3 and not _cells(line, 0):
            kind, columns = "dossiers", metrics
            if spec.get("on_due_date_when_early") and "dossiers_early" in columns:
                columns = ["dossiers_on_due_date" if c == "dossiers_on_time" else c for c in columns]
            continue
        if len(levels) >= 2 and len(levels) == len(_cells(line, 0)):
            kind, columns = "levels", [code for _, code in levels]
            rows.append(number)  # its digits are labels
            continue
        if not columns or not digits:
            continue
        if kind == "dossiers":
            row = next((m for m in (rx.match(line) for rx in row_levels.values()) if m), None)
            level = next((code for code, rx in row_levels.items() if rx.match(line)), None)
            cells = _cells(line, row.end() if row else 0)
            found = _dossier_row(cells, columns, level, catalog, number)
        else:
            label = line[: digits.start()]
            metric = next((code for code, rx in procedure_rows.items() if rx.search(label)), None)
            cells = _cells(line, digits.start())
            found = _level_row(cells, columns, metric, row_levels, number) if metric else []
        if found:
            figures.extend(found)
            rows.append(number)
    return figures, rows


def _dossier_row(
    cells: list[_Cell], columns: list[str], level: str | None, catalog: dict, line: int
) -> list[TableFigure]:
    counts = [c for c in cells if not c.is_percent]
    if len(counts) != len(columns) or (cells and cells[0].is_percent):
        return []
    qualifiers = {"service_level": level} if level else {}
    figures, column = [], -1
    for cell in cells:
        if cell.is_percent:
            metric = f"{columns[column]}_pct"
        else:
            column += 1
            metric = columns[column]
        if metric not in catalog:
            continue
        figures.append(
            TableFigure(metric, cell.value, None, cell.decimals, dict(qualifiers), line, cell.start, cell.end)
        )
        # Dossiers of an online service level (3/4, full/partial) are online dossiers.
        if metric == "dossiers_in_period" and level and level != "basic" and "dossiers_online" not in columns:
            figures.append(TableFigure("dossiers_online", cell.value, None, cell.decimals, dict(qualifiers),
                                       line, cell.start, cell.end))
    return figures


def _level_row(
    cells: list[_Cell], columns: list[str], metric: str, row_levels: dict, line: int
) -> list[TableFigure]:
    """One measure per service-level column; the value printed at 100% is the base."""
    counts = [c for c in cells if not c.is_percent]
    if len(counts) != len(columns):
        return []
    base = next((cells[i - 1].value for i, c in enumerate(cells) if i and c.is_percent and c.value == 100),
                None)
    known = set(row_levels)
    return [
        TableFigure(metric, cell.value, base, cell.decimals, {"service_level": level}, line,
                    cell.start, cell.end)
        for cell, level in zip(counts, columns, strict=True)
        if level in known
    ]
