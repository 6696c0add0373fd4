"""Extraction quality against hand-read gold figures (recall, precision, wrong values).

A gold file is `file,metric,qualifiers,value,denominator` (qualifiers `k=v;k=v`), the
format of shared/data/reports/real/gold.csv. A gold figure is found when the extraction
has the same metric, qualifiers and value (and denominator when gold gives one); it is
wrong when the extraction has the same metric and qualifiers with another value.
Qualifiers at the catalog's default (scope=local) count as absent, as gold writes them.
Document metadata (report year, number, date) is not a figure of the text's content.
"""

from __future__ import annotations

import csv
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from ingest.reports.extract import extract_text
from ingest.reports.reading import read_report_text

DEFAULTS = {"scope": "local"}
DOCUMENT_METRICS = {"report_year", "report_issued_date", "report_number"}


def _qualifiers(raw: str) -> tuple[tuple[str, str], ...]:
    pairs = (part.split("=", 1) for part in raw.replace("&", ";").split(";") if "=" in part)
    return tuple(sorted((k.strip(), v.strip()) for k, v in pairs))


def _key(metric: str, qualifiers: dict) -> tuple:
    kept = {k: str(v) for k, v in qualifiers.items() if DEFAULTS.get(k) != str(v)}
    return metric, tuple(sorted(kept.items()))


def _same(a: float | None, b: float | None) -> bool:
    return (a is None and b is None) or (a is not None and b is not None and abs(a - b) < 1e-6)


@dataclass
class TextScore:
    file: str
    gold: int = 0
    found: int = 0  # figures extracted (content metrics)
    correct: int = 0
    wrong: list[str] = field(default_factory=list)
    missing: list[str] = field(default_factory=list)
    extra: list[str] = field(default_factory=list)

    @property
    def recall(self) -> float:
        return self.correct / self.gold if self.gold else 1.0

    @property
    def precision(self) -> float:
        return self.correct / self.found if self.found else 1.0


def score_corpus(corpus: Path) -> list[TextScore]:
    """Extract every text listed in corpus/gold.csv and score it against its gold."""
    gold: dict[str, list[tuple[tuple, float, float | None]]] = defaultdict(list)
    with (corpus / "gold.csv").open(encoding="utf-8") as handle:
        for row in csv.DictReader(handle):
            key = (row["metric"], _qualifiers(row["qualifiers"] or ""))
            denominator = float(row["denominator"]) if row["denominator"] else None
            gold[row["file"]].append((key, float(row["value"]), denominator))
    scores = []
    for name in sorted(gold):
        path = corpus / name
        extraction = extract_text(read_report_text(path), source_file=name)
        figures = [f for f in extraction.figures if f.metric not in DOCUMENT_METRICS]
        score = TextScore(name, gold=len(gold[name]), found=len(figures))
        matched: set[int] = set()
        for key, value, denominator in gold[name]:
            same_key = [(i, f) for i, f in enumerate(figures) if _key(f.metric, f.qualifiers) == key]
            hit = next((i for i, f in same_key if _same(float(f.value), value)
                        and (denominator is None or _same(f.denominator, denominator))), None)
            label = f"{key[0]}{dict(key[1]) or ''}={value:g}"
            if hit is not None:
                score.correct += 1
                matched.add(hit)
            elif same_key:
                score.wrong.append(f"{label} read as {', '.join(f'{f.value:g}' for _, f in same_key)}")
                matched.update(i for i, _ in same_key)
            else:
                score.missing.append(label)
        score.extra = [
            f"{f.metric}{f.qualifiers or ''}={f.value:g} (line {f.line})"
            for i, f in enumerate(figures) if i not in matched
        ]
        scores.append(score)
    return scores


def totals(scores: list[TextScore]) -> dict[str, float]:
    gold = sum(s.gold for s in scores)
    found = sum(s.found for s in scores)
    correct = sum(s.correct for s in scores)
    wrong = sum(len(s.wrong) for s in scores)
    return {
        "texts": len(scores),
        "gold": gold,
        "found": found,
        "correct": correct,
        "wrong": wrong,
        "recall": correct / gold if gold else 1.0,
        "precision": correct / found if found else 1.0,
        "wrong_share_of_found": wrong / found if found else 0.0,
    }
