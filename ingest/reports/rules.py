"""Load the extraction rules (YAML beside the catalog) into compiled, checked objects.

A rule file holds a list under `rules:`; each rule is

    id:       unique name, for messages
    pattern:  regex over one sentence of the matching form (folded, lowercase)
    exclude:  optional regex; the sentence is skipped when it matches
    context:  optional regex that must match the current or the previous sentence
    once:     optional; only the first hit in the document counts
    emit:     figures made from one hit: metric, value (a group name), optional
              denominator (group), qualifiers (fixed values, or "@group" / "@group:vocab"
              to look the captured text up in a vocabulary), format (number|code|date)
    each:     optional list rules: {in: group, item: regex or list of regexes, emit: [...]}
              each item hit inside the captured group gives its own figures

Placeholders in patterns: {NUM} a Vietnamese number, {FRAC} "x/y", {NUMF} either, and
{name} for the alternation of vocabulary `name`. Everything is checked against the
metric catalog when loaded, so a typo in a rule fails fast instead of silently.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any

from ingest.reports.normalize import NUMBER_RE, RULES_DIR, read_yaml

CATALOG_PATH = Path(__file__).resolve().parent / "report_metrics.yml"
# Files in rules/ that are not extraction rule lists.
SUPPORT_FILES = {"ocr.yml", "vocab.yml", "changes.yml", "families.yml"}

# A number is matched whole: never "74" out of "746" when a pattern backtracks, nor
# "46" or "787" out of "746" or "1.787" when a search moves on (_START). _START also keeps
# the search linear: a pattern that begins with a number fails at once inside a digit run
# instead of rescanning the rest of the run from every digit (16,000 digits took minutes).
_WHOLE = r"(?![\d]|[.,]\d)"
_START = r"(?<!\d)(?<!\d[.,])"
_MACROS = {
    "NUM": f"(?:{_START}(?:{NUMBER_RE}){_WHOLE})",
    "FRAC": rf"(?:{_START}(?:{NUMBER_RE})\s*/\s*(?:{NUMBER_RE}){_WHOLE})",
    "NUMF": rf"(?:{_START}(?:{NUMBER_RE})(?:\s*/\s*(?:{NUMBER_RE}))?{_WHOLE})",
    # The rest of a sentence, where "1.232" does not count as a full stop.
    "REST": r"(?:[^.]|\.(?=\d))*",
}
_PLACEHOLDER = re.compile(r"\{([A-Za-z_]+)\}")


class RuleError(ValueError):
    """A rule file is inconsistent with the catalog or itself."""


@dataclass(frozen=True)
class Emit:
    metric: str
    value: str
    denominator: str | None
    qualifiers: dict[str, str]
    fmt: str


@dataclass(frozen=True)
class ListSpec:
    group: str
    items: tuple[re.Pattern[str], ...]
    emits: tuple[Emit, ...]


@dataclass(frozen=True)
class Rule:
    id: str
    pattern: re.Pattern[str]
    emits: tuple[Emit, ...]
    lists: tuple[ListSpec, ...]
    exclude: re.Pattern[str] | None = None
    context: re.Pattern[str] | None = None
    once: bool = False
    source: str = ""


@dataclass(frozen=True)
class Metric:
    code: str
    unit: str
    qualifiers: tuple[str, ...]
    kinds: tuple[str, ...]


@dataclass
class RuleSet:
    """Everything the extractor needs, loaded once."""

    catalog: dict[str, Metric]
    vocab: dict[str, dict[str, re.Pattern[str]]]
    rules: list[Rule]
    context_qualifiers: dict[str, Any]
    periods: list[tuple[str, dict[str, Any], re.Pattern[str]]]
    noise_lines: list[re.Pattern[str]]
    legal_reference: re.Pattern[str]
    report_markers: re.Pattern[str]
    section_heading: re.Pattern[str]
    subsection_heading: re.Pattern[str]
    document: dict[str, re.Pattern[str]] = field(default_factory=dict)
    vocab_alternation: dict[str, str] = field(default_factory=dict)

    def lookup(self, vocab_name: str, text: str) -> str | None:
        """The catalog code whose vocabulary regex matches all of `text`."""
        cleaned = " ".join(text.split())
        for code, regex in self.vocab.get(vocab_name, {}).items():
            if regex.fullmatch(cleaned):
                return code
        return None


def load_catalog(path: Path = CATALOG_PATH) -> dict[str, Metric]:
    """The metric catalog: code -> unit, allowed qualifiers, kind vocabulary."""
    data = read_yaml(path)
    catalog = {}
    for code, spec in data["metrics"].items():
        catalog[code] = Metric(
            code=code,
            unit=spec["unit"],
            qualifiers=tuple(spec.get("qualifiers", [])),
            kinds=tuple(spec.get("kinds", [])),
        )
    return catalog


def _expand(pattern: str, alternations: dict[str, str], where: str) -> str:
    def replace(match: re.Match[str]) -> str:
        name = match.group(1)
        if name in _MACROS:
            return _MACROS[name]
        if name in alternations:
            return alternations[name]
        raise RuleError(f"{where}: unknown placeholder {{{name}}}")

    return _PLACEHOLDER.sub(replace, pattern)


def _compile(pattern: str, alternations: dict[str, str], where: str) -> re.Pattern[str]:
    try:
        return re.compile(_expand(pattern, alternations, where), re.MULTILINE)
    except re.error as exc:
        raise RuleError(f"{where}: bad regex: {exc}") from exc


def _emits(
    raw: list[dict[str, Any]],
    catalog: dict[str, Metric],
    vocab: dict[str, dict[str, re.Pattern[str]]],
    where: str,
) -> tuple[Emit, ...]:
    emits = []
    for entry in raw:
        metric = entry.get("metric")
        if metric not in catalog:
            raise RuleError(f"{where}: metric {metric!r} is not in the catalog")
        qualifiers = {str(k): str(v) for k, v in (entry.get("qualifiers") or {}).items()}
        for name, spec in qualifiers.items():
            if name not in catalog[metric].qualifiers:
                raise RuleError(f"{where}: {metric} has no qualifier {name!r} in the catalog")
            if spec.startswith("@"):
                vocab_name = spec[1:].partition(":")[2]
                if vocab_name and vocab_name not in vocab:
                    raise RuleError(f"{where}: unknown vocabulary {vocab_name!r}")
                continue
            # Fixed values must come from the catalog's vocabularies.
            kinds = catalog[metric].kinds
            if name == "kind" and kinds and spec not in kinds:
                raise RuleError(f"{where}: kind {spec!r} is not one of {metric}'s {list(kinds)}")
            if name in ("level", "sector", "rating") and spec not in vocab.get(name, {}):
                raise RuleError(f"{where}: {name} {spec!r} is not in the vocabulary")
        emits.append(
            Emit(
                metric=metric,
                value=str(entry.get("value", "v")),
                denominator=entry.get("denominator"),
                qualifiers=qualifiers,
                fmt=entry.get("format", "number"),
            )
        )
    return tuple(emits)


@lru_cache(maxsize=4)
def load_rules(rules_dir: Path = RULES_DIR, catalog_path: Path = CATALOG_PATH) -> RuleSet:
    """Compile vocab.yml and every rule file in `rules_dir` against the catalog."""
    catalog = load_catalog(catalog_path)
    support = read_yaml(rules_dir / "vocab.yml")
    vocab: dict[str, dict[str, re.Pattern[str]]] = {}
    alternations: dict[str, str] = {}
    for name, entries in support["vocab"].items():
        vocab[name] = {str(code): re.compile(rx) for code, rx in entries.items()}
        alternations[name] = "(?:" + "|".join(f"(?:{rx})" for rx in entries.values()) + ")"

    # Phrase macros: alternations used in patterns, never looked up as qualifiers.
    for name, rx in (support.get("phrases") or {}).items():
        if name in alternations:
            raise RuleError(f"vocab.yml: phrase {name!r} shadows a vocabulary")
        alternations[name] = f"(?:{rx})"

    rules: list[Rule] = []
    seen: set[str] = set()
    for path in sorted(rules_dir.glob("*.yml")):
        if path.name in SUPPORT_FILES:
            continue
        data = read_yaml(path) or {}
        for raw in data.get("rules", []):
            rule_id = raw.get("id") or "?"
            where = f"{path.name}:{rule_id}"
            if rule_id in seen:
                raise RuleError(f"{where}: duplicate rule id")
            seen.add(rule_id)
            lists = []
            for spec in raw.get("each", []) or []:
                items = spec["item"] if isinstance(spec["item"], list) else [spec["item"]]
                lists.append(
                    ListSpec(
                        group=spec.get("in", "list"),
                        items=tuple(_compile(i, alternations, where) for i in items),
                        emits=_emits(spec["emit"], catalog, vocab, where),
                    )
                )
            rules.append(
                Rule(
                    id=rule_id,
                    pattern=_compile(raw["pattern"], alternations, where),
                    emits=_emits(raw.get("emit", []), catalog, vocab, where),
                    lists=tuple(lists),
                    exclude=_compile(raw["exclude"], alternations, where) if raw.get("exclude") else None,
                    context=_compile(raw["context"], alternations, where) if raw.get("context") else None,
                    once=bool(raw.get("once")),
                    source=path.name,
                )
            )

    periods = [(entry["kind"], entry, re.compile(entry["pattern"])) for entry in support["periods"]]
    return RuleSet(
        catalog=catalog,
        vocab=vocab,
        rules=rules,
        context_qualifiers=support.get("context_qualifiers", {}),
        periods=periods,
        noise_lines=[
            _compile(rx, alternations, f"vocab.yml:noise_lines.{name}")
            for name, rx in support["noise_lines"].items()
        ],
        legal_reference=_compile(support["legal_reference"], alternations, "legal_reference"),
        report_markers=re.compile(support["report_markers"]),
        section_heading=re.compile(support["section_heading"]),
        subsection_heading=re.compile(support["subsection_heading"]),
        document={
            name: _compile(rx, alternations, f"vocab.yml:document.{name}")
            for name, rx in support.get("document", {}).items()
        },
        vocab_alternation=alternations,
    )


@dataclass(frozen=True)
class ChangeRules:
    patterns: tuple[re.Pattern[str], ...]
    bounds: dict[str, str]


@lru_cache
def load_change_rules(rules_dir: Path = RULES_DIR) -> ChangeRules:
    """The change-statement patterns of rules/changes.yml, placeholders expanded."""
    spec = read_yaml(Path(rules_dir) / "changes.yml")
    patterns = tuple(
        re.compile(_PLACEHOLDER.sub(lambda m: _MACROS[m.group(1)], rule["pattern"]))
        for rule in spec["changes"]
    )
    return ChangeRules(patterns=patterns, bounds=dict(spec.get("bounds", {})))
