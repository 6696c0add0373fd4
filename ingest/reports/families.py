"""Figures by phrasing family: a number, the noun it counts, the cues of its clause and the
qualifiers in scope, read from every sentence whatever its wording (rules/families.yml).

The sentence rules (rules/*.yml) run first and keep the numbers they read; this pass reads
the rest. Everything here works on one sentence's compact matching form (folded,
lowercase, whitespace collapsed) and returns positions in it; extract.py maps them back
to lines and adds the paragraph context (scope, level).

Every regex is anchored at a position or bounded, so the pass is linear in the text.
"""

from __future__ import annotations

import bisect
import dataclasses
import datetime as dt
import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.reports.normalize import RULES_DIR, read_yaml

# A number as printed: "1.787" / "2.971.152" (thousands), "65,27" / "86.45" (decimals),
# "1.456/1.625" (x/y). Not the digits of a date, a code or a longer number.
_NUMBER = r"\d{1,3}(?:\.\d{3})+(?:,\d+)?(?![.,]?\d)|\d{1,12}(?:[.,]\d{1,2})?(?![.,]?\d)"
NUMBER_TOKEN = re.compile(
    rf"(?<![\w.,/:-])(?P<num>{_NUMBER})(?:\s*(?:/|tren)\s*(?P<den>{_NUMBER}))?(?![\w/])"
)
_THOUSANDS = re.compile(r"\d{1,3}(?:\.\d{3})+(?:,\d+)?")
_CLAUSE_BREAK = re.compile(r"[;()]|,(?!\d)|\.(?!\d)| - ")
# A number's words stand near it: clauses are read at most this far (keeps the pass linear
# on a sentence without punctuation).
_REACH = 200


def parse_printed(raw: str) -> tuple[float, int]:
    """Printed number -> (value, decimals as printed). Dots group thousands only in
    groups of three ("1.456"); "86.45" is a decimal point, as texts print it too."""
    raw = raw.strip()
    if _THOUSANDS.fullmatch(raw):
        whole, _, fraction = raw.replace(".", "").partition(",")
        return float(f"{whole}.{fraction}" if fraction else whole), len(fraction)
    cleaned = raw.replace(",", ".")
    decimals = len(cleaned.partition(".")[2])
    return float(cleaned), decimals


@dataclass(frozen=True)
class Families:
    nouns: dict[str, re.Pattern[str]]
    multipliers: tuple[tuple[re.Pattern[str], float], ...]
    dossier_cues: tuple[tuple[str | None, re.Pattern[str]], ...]
    procedure_cues: tuple[tuple[str | None, re.Pattern[str]], ...]
    labels: dict[str, dict[str, str]]
    label_patterns: dict[str, re.Pattern[str]]  # one alternation per qualifier, a group per code
    money: dict[str, Any]
    on_due_date: tuple[re.Pattern[str], str]
    rate_words: re.Pattern[str]
    change_before: re.Pattern[str]
    change_after: re.Pattern[str]
    bound_before: re.Pattern[str]
    range_after: re.Pattern[str]
    agency: re.Pattern[str]
    indices: dict[str, tuple[re.Pattern[str], str | None, str | None]]
    index_names: re.Pattern[str]
    rank_before: re.Pattern[str]
    not_rank_before: re.Pattern[str]
    region: re.Pattern[str]
    stat_average: re.Pattern[str]
    province_after_rank: re.Pattern[str]
    ministries: dict[str, re.Pattern[str]]
    periods: tuple[tuple[str, dict[str, Any], re.Pattern[str]], ...]
    not_figures: re.Pattern[str]
    exclude_sentences: re.Pattern[str] | None
    headline_lines: int
    table: dict[str, Any]


@lru_cache(maxsize=4)
def load_families(rules_dir: Path = RULES_DIR) -> Families:
    spec = read_yaml(Path(rules_dir) / "families.yml")
    indices = {
        name: (re.compile(entry["name"]), entry.get("score"), entry.get("rank"))
        for name, entry in spec["indices"].items()
    }
    return Families(
        nouns={name: re.compile(rf"\s*(?:{rx})") for name, rx in spec["nouns"].items()},
        multipliers=tuple((re.compile(rf"\s*(?:{rx})\b"), float(v)) for rx, v in spec["multipliers"].items()),
        dossier_cues=tuple((entry["metric"], re.compile(entry["cue"])) for entry in spec["dossier_cues"]),
        procedure_cues=tuple((entry["metric"], re.compile(entry["cue"])) for entry in spec["procedure_cues"]),
        labels={name: {str(k): v for k, v in entries.items()} for name, entries in spec["labels"].items()},
        label_patterns={
            name: re.compile("|".join(rf"(?P<v{i}>\b(?:{rx})\b)" for i, rx in enumerate(entries.values())))
            for name, entries in spec["labels"].items()
        },
        on_due_date=(re.compile(rf"(?:{spec['on_due_date']['plain']})\s*$"), spec["on_due_date"]["metric"]),
        money={
            "metric": spec["money"]["metric"],
            "context": re.compile(spec["money"]["context"]),
            "units": tuple((re.compile(rf"\s*(?:{rx})\b"), float(v))
                           for rx, v in sorted(spec["money"]["units"].items(), key=lambda kv: -len(kv[0]))),
        },
        rate_words=re.compile(spec["rate_words"]),
        change_before=re.compile(spec["change_before"]),
        change_after=re.compile(spec["change_after"]),
        bound_before=re.compile(spec["bound_before"]),
        range_after=re.compile(spec["range_after"]),
        agency=re.compile(spec["agency"]),
        indices=indices,
        index_names=re.compile("|".join(f"(?P<{n}>{e['name']})" for n, e in spec["indices"].items())),
        rank_before=re.compile(spec["rank_before"]),
        not_rank_before=re.compile(spec["not_rank_before"]),
        region=re.compile(rf"\s*(?:{spec['region']})"),
        stat_average=re.compile(spec["stat_average"]),
        province_after_rank=re.compile(spec["province_after_rank"]),
        ministries={name: re.compile(rf"\b(?:{rx})\b") for name, rx in spec.get("ministries", {}).items()},
        periods=tuple((p["kind"], p, re.compile(p["pattern"])) for p in spec["periods"]),
        not_figures=re.compile(spec["not_figures"]),
        exclude_sentences=re.compile(spec["exclude_sentences"]) if spec.get("exclude_sentences") else None,
        headline_lines=int(spec.get("headline_lines", 0)),
        table=spec.get("table", {}),
    )


# --------------------------------------------------------------------------- periods


@dataclass(frozen=True)
class PeriodMention:
    sentence: int  # index of the sentence it was read from
    start: int  # span in that sentence's compact text
    end: int
    label: str  # "2020", "2020-10", "2020-Q3", "2020-H1", "2019-12-01/2020-02-29"
    year: int  # the year the period ends in
    carries: bool  # may apply beyond its own sentence (not a comparison in parentheses)


def _iso(year: int, month: int, day: int) -> str | None:
    try:
        return dt.date(year, month, day).isoformat()
    except ValueError:
        return None


def _period_label(
    kind: str, spec: dict[str, Any], m: re.Match[str], dateline: dt.date | None, last_year: int | None
) -> tuple[str, int] | None:
    groups = m.groupdict()
    if kind == "month_in_year":
        return (f"{last_year}-{int(groups['m']):02d}", last_year) if last_year else None
    if kind == "range":
        y2 = int(groups["y2"])
        y1 = int(groups["y1"]) if groups.get("y1") else y2
        start = _iso(y1, int(groups["m1"]), int(groups["d1"]))
        end = _iso(y2, int(groups["m2"]), int(groups["d2"]))
        if not start or not end or start > end:
            return None
        return f"{start}/{end}", y2
    if kind == "years":
        y1, y2 = int(groups["y1"]), int(groups["y2"])
        return (f"{y1}-01-01/{y2}-12-31", y2) if y1 < y2 else None
    if kind == "ytd":
        if groups.get("y"):
            year = int(groups["y"])
        elif dateline:
            year = dateline.year
        else:
            return None
        if dateline and dateline.year == year:
            return f"{year}-01-01/{dateline.isoformat()}", year
        return str(year), year
    year = int(groups["y"])
    if kind == "year":
        return str(year), year
    if kind == "half":
        return f"{year}-H{spec.get('half', 1)}", year
    if kind == "month":
        return f"{year}-{int(groups['m']):02d}", year
    if kind == "quarter":
        raw = groups["q"]
        quarter = {"i": 1, "ii": 2, "iii": 3, "iv": 4}.get(raw) or int(raw)
        return f"{year}-Q{quarter}", year
    if kind == "months":
        months = int(groups["n"])
        if months == 6:
            return f"{year}-H1", year
        if months in (3,):
            return f"{year}-Q1", year
        last = (dt.date(year, months + 1, 1) - dt.timedelta(days=1)) if months < 12 else dt.date(year, 12, 31)
        return f"{year}-01-01/{last.isoformat()}", year
    return None


def find_periods(sentences: list[str], families: Families, dateline: dt.date | None) -> list[PeriodMention]:
    """Every period phrase, in text order; an overlapping less specific one is dropped."""
    found: list[PeriodMention] = []
    last_year: int | None = None  # of the sentences before: "thang 6" is a month of it
    for number, text in enumerate(sentences):
        taken: list[tuple[int, int]] = []
        for kind, spec, regex in families.periods:
            for m in regex.finditer(text):
                if any(m.start() < e and s < m.end() for s, e in taken):
                    continue
                labelled = _period_label(kind, spec, m, dateline, last_year)
                if not labelled:
                    continue
                taken.append(m.span())
                carries = spec.get("carries", True) and _carries(text, m.start(), m.end())
                found.append(PeriodMention(number, m.start(), m.end(), labelled[0], labelled[1], carries))
        if found and found[-1].sentence == number:
            last_year = max(p.year for p in found if p.sentence == number)
    return sorted(found, key=lambda p: (p.sentence, p.start))


def _carries(text: str, start: int, end: int) -> bool:
    """A period inside parentheses with a figure ("(nam 2018 la 81,24%)") is an aside;
    one alone in parentheses ("(tu ngay 11.5 den 17.5.2018)") frames what follows."""
    open_at = text.rfind("(", 0, start)
    if open_at < 0 or text.rfind(")", 0, start) > open_at:
        return True
    close_at = text.find(")", end)
    inside = text[open_at + 1 : close_at if close_at >= 0 else len(text)]
    rest = inside[: start - open_at - 1] + inside[end - open_at - 1 :]
    return not re.search(r"\d", rest)


# --------------------------------------------------------------------------- figures


@dataclass(frozen=True)
class FamilyFigure:
    metric: str
    value: float
    denominator: float | None
    decimals: int | None
    qualifiers: dict[str, Any]
    start: int  # value span in the sentence's compact text
    end: int
    cue: str = ""  # the words that named the metric


@dataclass
class SentenceContext:
    """What a sentence's figures need from the document around them."""

    text: str  # compact matching form
    taken: list[tuple[int, int]]  # spans already read by the sentence rules
    counts: list[tuple[int, str, dict[str, Any]]]  # (end, metric, qualifiers) of rule counts
    index_before: str | None  # the index named last in earlier sentences
    own_province: str | None
    # (start, end, qualifier, name) of the provinces and ministries this sentence names
    subjects: list[tuple[int, int, str, str]]
    catalog: dict[str, Any]
    semicolons: list[int] = field(default_factory=list)


def _merged(spans: list[tuple[int, int]]) -> list[tuple[int, int]]:
    merged: list[tuple[int, int]] = []
    for start, end in sorted(spans):
        if merged and start <= merged[-1][1]:
            merged[-1] = (merged[-1][0], max(end, merged[-1][1]))
        else:
            merged.append((start, end))
    return merged


class _Positions:
    """Sorted positions in one sentence, looked up by bisection (linear overall)."""

    def __init__(self, spans: list[tuple[int, int]]) -> None:
        self.spans = sorted(spans)
        self.starts = [s for s, _ in self.spans]

    def last_before(self, pos: int) -> tuple[int, int] | None:
        """The last span starting before `pos`."""
        i = bisect.bisect_left(self.starts, pos)
        return self.spans[i - 1] if i else None


def _left_clause(text: str, pos: int, breaks: _Positions) -> str:
    """The clause before `pos`; a number opening a parenthesis reads the clause before it."""
    previous = breaks.last_before(pos)
    start = max(previous[1] if previous else 0, pos - _REACH)
    left = text[start:pos]
    if start and text[start - 1] == "(" and not left.strip():
        earlier = breaks.last_before(start - 1)
        return text[max(earlier[1] if earlier else 0, start - _REACH) : start - 1] + " " + left
    return left


def _right_tail(text: str, pos: int) -> str:
    m = _CLAUSE_BREAK.search(text, pos, pos + _REACH)
    end = m.start() if m else min(len(text), pos + _REACH)
    tail = text[pos:end]
    digit = re.search(r"\d", tail)
    return tail[: digit.start()] if digit else tail


def _noun(text: str, pos: int, families: Families) -> tuple[str | None, int]:
    for name, regex in families.nouns.items():
        m = regex.match(text, pos)
        if m:
            return name, m.end()
    return None, pos


def _cue(cues, left: str, tail: str) -> tuple[bool, str | None, int, str]:
    """(a cue was found, the metric it names, where the cue ends in `left` or -1, its words)."""
    # The words right after the noun describe it first ("114.312 ho so truc tuyen").
    for metric, regex in cues:
        m = regex.search(tail)
        if m:
            return True, metric, -1, m.group()
    for metric, regex in cues:
        last = _last_match(regex, left)
        if last:
            return True, metric, last.end(), last.group()
    return False, None, -1, ""


def read_sentence(ctx: SentenceContext, families: Families) -> tuple[list[FamilyFigure], str | None]:
    """The figures of one sentence, and the index it leaves active for the next."""
    text = ctx.text
    names = [(m.start(), m.lastgroup) for m in families.index_names.finditer(text)]
    masked = [m.span() for m in families.not_figures.finditer(text)]
    labelled = [m.span() for pattern in families.label_patterns.values() for m in pattern.finditer(text)]
    blocked = _merged(ctx.taken + masked + labelled)
    blocked_starts = [s for s, _ in blocked]
    breaks = _Positions([m.span() for m in _CLAUSE_BREAK.finditer(text)])
    ctx.semicolons = [m.start() for m in re.finditer(";", text)]
    figures: list[FamilyFigure] = []
    counts = sorted(ctx.counts)  # (end, metric, qualifiers) of the counts read so far
    domains = [(m.start(), "procedure" if m.group(1) else "dossier")
               for m in re.finditer(r"\b(?:(tthc|thu tuc|dich vu cong)|ho so|hs)\b", text)]
    previous_end = 0
    for m in NUMBER_TOKEN.finditer(text):
        start, end = m.span("num")
        i = bisect.bisect_right(blocked_starts, start)
        if i and start < blocked[i - 1][1]:
            continue
        value, decimals = parse_printed(m.group("num"))
        denominator = parse_printed(m.group("den"))[0] if m.group("den") else None
        after = m.end()
        is_percent = text.startswith("%", after) or text.startswith(" %", after)
        if is_percent:
            after = text.index("%", after) + 1
        multiplier = 1.0
        for regex, factor in families.multipliers:
            mm = regex.match(text, after)
            if mm:
                multiplier, after = factor, mm.end()
                break
        noun, noun_end = (None, after) if is_percent else _noun(text, after, families)
        left = _left_clause(text, start, breaks)
        # Within a clause, a number's own words start after the number before it.
        if previous_end > start - len(left):
            left = left[max(0, len(left) - (start - previous_end)) :]
        previous_end = noun_end
        before = text[max(0, start - 40) : start]
        if families.change_before.search(before) or families.change_after.match(text, m.end()):
            continue
        if multiplier != 1.0:
            value *= multiplier
            decimals -= len(str(int(multiplier))) - 1
        tail = _right_tail(text, noun_end)
        # A bare count counts what its sentence last named ("... 643.272 ho so, trong do
        # dung va truoc han 635.593"; "... 1.539 dich vu cong, muc do 3 la 1.089").
        domain = noun if noun in ("dossier", "procedure") else None
        if domain is None and noun is None and not is_percent:
            j = bisect.bisect_left(domains, start, key=lambda d: d[0])
            if j and start - domains[j - 1][0] <= 200:
                domain = domains[j - 1][1]
        figure = None
        if not is_percent and families.rank_before.search(before):
            figure = _index_rank(ctx, names, start, end, m, value, denominator, families)
        elif domain:
            figure = _count(domain, left, tail, start, end, value, denominator, decimals, counts, families)
            if figure:
                bisect.insort(counts, (end, figure.metric, figure.qualifiers), key=lambda c: c[0])
        # An index score is a percentage or points of 100 ("89,4 diem"; "9,12 diem" is of 10).
        elif is_percent or (noun == "points" and value > 10):
            if is_percent:
                figure = _dossier_percent(text, left, start, end, value, decimals, counts, families,
                                          ctx.catalog)
            if figure is None and (names or not domains):
                figure = _index_score(ctx, names, start, end, value, decimals, before, families)
        else:
            figure = _money(text, m.end(), start, end, value, decimals, families)
        if figure and figure.metric in ctx.catalog:
            figures.append(figure)
    plain, on_due_date = families.on_due_date
    if any(f.metric == "dossiers_early" for f in figures):
        figures = [
            dataclasses.replace(f, metric=on_due_date)
            if f.metric == "dossiers_on_time" and plain.search(f.cue) else f
            for f in figures
        ]
    index_after = names[-1][1] if names else ctx.index_before
    return figures, index_after


def _last_match(regex: re.Pattern[str], text: str) -> re.Match[str] | None:
    last = None
    for last in regex.finditer(text):  # noqa: B007 (the loop finds the last one)
        pass
    return last


def _labels(left: str, families: Families) -> dict[str, str]:
    """Breakdown labels in a number's own words, the nearest of each kind."""
    found: dict[str, str] = {}
    for name, pattern in families.label_patterns.items():
        last = _last_match(pattern, left)
        if last:
            found[name] = list(families.labels[name])[int(last.lastgroup[1:])]
    if "sector" in found:
        found["scope"] = "vertical"
    return found


def _count(
    domain, left, tail, start, end, value, denominator, decimals, counts, families
) -> FamilyFigure | None:
    cues = families.dossier_cues if domain == "dossier" else families.procedure_cues
    found, metric, cue_end, cue = _cue(cues, left, tail)
    labels = _labels(left, families)
    if not found and labels and counts:
        # "voi cap tinh 120.000 ho so; cap huyen 239.245 ho so": the figure before, by part.
        _, metric, qualifiers = counts[-1]
        if metric in {m for m, _ in cues}:
            return FamilyFigure(metric, value, denominator, decimals, {**qualifiers, **labels}, start, end)
        return None
    if not found or metric is None:
        return None
    between = left[cue_end:] if cue_end >= 0 else ""
    if families.agency.search(between):
        return None  # one agency's count
    return FamilyFigure(metric, value, denominator, decimals, labels, start, end, cue)


def _money(text, after, start, end, value, decimals, families) -> FamilyFigure | None:
    spec = families.money
    for regex, factor in spec["units"]:
        if regex.match(text, after):
            if not spec["context"].search(text[max(0, start - 200) : start]):
                return None
            return FamilyFigure(spec["metric"], value * factor, None, decimals - len(str(int(factor))) + 1,
                                {}, start, end)
    return None


def _dossier_percent(
    text, left, start, end, value, decimals, counts, families, catalog
) -> FamilyFigure | None:
    found, metric, _, _ = _cue(families.dossier_cues, left, "")
    if families.nouns["procedure"].search(left):
        return None  # a share of procedures, not of dossiers
    # "Ty le ho so giai quyet truoc han, dung han dat 99%": the rate is named before the
    # commas of its list of cues, in the same number-free stretch of the sentence.
    stretch = re.search(r"\bty le\b(?:[^\d;()]|\b(?:19|20)\d\d\b)*$", text[max(0, start - 120) : start])
    if stretch:
        found, metric, _, _ = _cue(families.dossier_cues, stretch.group(), "")
    if found and (re.search(r"\bty le\b", left) or stretch):
        if metric and f"{metric}_pct" in catalog:
            return FamilyFigure(f"{metric}_pct", value, None, decimals, {}, start, end)
        return None
    i = bisect.bisect_right(counts, start, key=lambda count: count[0])
    if not i:
        return None
    count_end, count_metric, qualifiers = counts[i - 1]
    between = text[count_end:start]
    if len(between) > 60 or re.search(r"\d|;", between) or not families.rate_words.search(between):
        return None
    if found and metric != count_metric:
        return None
    pct = f"{count_metric}_pct"
    return FamilyFigure(pct, value, None, decimals, dict(qualifiers), start, end) if pct in catalog else None


def _active_index(ctx: SentenceContext, names: list[tuple[int, str]], pos: int) -> str | None:
    i = bisect.bisect_left(names, pos, key=lambda name: name[0])
    if i:
        return names[i - 1][1]
    if names:  # "Tu vi tri 63 cua nam 2020, chi so PAR INDEX ...": the sentence's subject
        return names[0][1]
    return ctx.index_before


def _segment_start(ctx: SentenceContext, pos: int) -> int:
    """Where the ";"-segment holding `pos` starts."""
    i = bisect.bisect_left(ctx.semicolons, pos)
    return ctx.semicolons[i - 1] + 1 if i else 0


def subjects(text: str, provinces: list[tuple[int, int, str]], families: Families) -> list[tuple]:
    """The provinces and ministries a sentence names, in text order."""
    found = [(s, e, "province", name) for s, e, name in provinces]
    found += [(m.start(), m.end(), "ministry", name)
              for name, regex in families.ministries.items() for m in regex.finditer(text)]
    return sorted(found)


def _subject_before(ctx: SentenceContext, pos: int) -> tuple[str, str] | None:
    i = bisect.bisect_right(ctx.subjects, pos, key=lambda p: p[1])
    if i and ctx.subjects[i - 1][0] >= _segment_start(ctx, pos):
        return ctx.subjects[i - 1][2:]
    return None


def _qualify(ctx: SentenceContext, families: Families, pos: int, subject: tuple[str, str] | None) -> dict:
    segment = ctx.text[max(_segment_start(ctx, pos), pos - 200) : pos]
    qualifiers: dict[str, Any] = {}
    if families.stat_average.search(segment):
        qualifiers["stat"] = "average"
    elif subject and subject != ("province", ctx.own_province):
        qualifiers[subject[0]] = subject[1]
    return qualifiers


def _index_score(ctx, names, start, end, value, decimals, before, families) -> FamilyFigure | None:
    index = _active_index(ctx, names, start)
    if index is None or families.bound_before.search(before) or families.range_after.match(ctx.text, end):
        return None
    metric = families.indices[index][1]
    if metric is None or not 0 < value <= 100:
        return None
    qualifiers = _qualify(ctx, families, start, _subject_before(ctx, start))
    return FamilyFigure(metric, value, None, decimals, qualifiers, start, end)


def _index_rank(ctx, names, start, end, m, value, denominator, families) -> FamilyFigure | None:
    text = ctx.text
    before = text[max(0, start - 40) : start]
    if not families.rank_before.search(before) or families.not_rank_before.search(before):
        return None
    index = _active_index(ctx, names, start)
    if index is None or families.indices[index][2] is None or not value.is_integer():
        return None
    if families.region.match(text, m.end()):
        return None  # a rank within a region
    if denominator is not None and not value <= denominator:
        return None
    subject = None
    lead = families.province_after_rank.match(text, m.end())
    if lead:
        i = bisect.bisect_left(ctx.subjects, lead.end(), key=lambda p: p[0])
        if i < len(ctx.subjects) and ctx.subjects[i][0] == lead.end():
            subject = ctx.subjects[i][2:]
    if subject is None:
        subject = _subject_before(ctx, start)
    qualifiers = _qualify(ctx, families, start, subject)
    return FamilyFigure(families.indices[index][2], value, denominator, 0, qualifiers, start, end)
