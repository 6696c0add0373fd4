"""Change statements ("tang 958 ho so so voi nam 2019 ... gap hon 06 lan") read beside the
figures they are about."""

from __future__ import annotations

import re
from pathlib import Path

from ingest.reports.figures import Hit
from ingest.reports.layout import Document
from ingest.reports.model import Change, Figure
from ingest.reports.normalize import parse_number
from ingest.reports.rules import load_change_rules


def find_changes(layout: Document, hits: list[tuple[Hit, Figure]], rules_dir: Path | None) -> list[Change]:
    """Attach each change statement to the nearest unqualified count figure before it."""
    change_rules = load_change_rules(rules_dir) if rules_dir else load_change_rules()
    counts = sorted(
        ((hit.span[1], figure) for hit, figure in hits
         if figure.unit == "count" and not figure.qualifiers and not isinstance(figure.value, str)),
        key=lambda pair: pair[0],
    )
    changes: list[Change] = []
    taken: set[int] = set()
    for pattern in change_rules.patterns:
        for match in pattern.finditer(layout.match):
            if match.start() in taken:
                continue
            before = [(end, figure) for end, figure in counts if end <= match.start()]
            if not before:
                continue
            end, figure = before[-1]
            if re.search(r";|\.(?!\d)", layout.match[end:match.start()]):
                continue  # the nearest figure is in another clause
            taken.add(match.start())
            delta = parse_number(match.group("delta"))
            groups = match.groupdict()
            changes.append(Change(
                metric=figure.metric,
                qualifiers=dict(figure.qualifiers),
                value=float(figure.value),
                delta=-delta if match.group("direction").startswith("g") else delta,
                ratio=parse_number(groups["ratio"]) if groups.get("ratio") else None,
                ratio_bound=change_rules.bounds.get(groups.get("bound") or ""),
                line=layout.line_of(match.start()),
                text=figure.text,
            ))
    return sorted(changes, key=lambda change: change.line)
