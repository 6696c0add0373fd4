"""A new phrasing or metric is a YAML change: rules are data, checked against the catalog."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from ingest.reports import extract_text
from ingest.reports.families import load_families
from ingest.reports.normalize import RULES_DIR
from ingest.reports.rules import CATALOG_PATH, RuleError, load_catalog, load_rules

NEWS = """Trong năm 2021, Trung tâm Phục vụ hành chính công tỉnh đã tiếp nhận 12.000 hồ sơ.
Tổng đài 1022 của tỉnh đã trả lời 3.450 cuộc gọi về thủ tục hành chính.
"""


def _copy_rules(tmp_path: Path) -> Path:
    target = tmp_path / "rules"
    shutil.copytree(RULES_DIR, target)
    return target


def test_new_phrasing_is_a_yaml_change(tmp_path: Path) -> None:
    """An unseen phrasing of a catalog metric is picked up once a rule file says so."""
    text = "Năm 2021, bộ phận một cửa nhận mới tổng cộng 8.765 hồ sơ của người dân."
    before = extract_text(text)
    assert not [f for f in before.figures if f.metric == "dossiers_received"]
    rules = _copy_rules(tmp_path)
    (rules / "local_phrasings.yml").write_text(
        """rules:
  - id: received_nhan_moi
    pattern: 'nhan moi tong cong (?P<v>{NUM}) ho so'
    emit: [{metric: dossiers_received, value: v}]
""",
        encoding="utf-8",
    )
    after = extract_text(text, rules_dir=rules)
    received = [f.to_json() for f in after.figures if f.metric == "dossiers_received"]
    assert received == [
        {
            "metric": "dossiers_received",
            "value": 8765,
            "unit": "count",
            "qualifiers": {"scope": "local"},  # 2021 is the text's own year
            "denominator": None,
            "line": 1,
            "text": text,
        }
    ]


@pytest.mark.parametrize(
    ("rule", "message"),
    [
        ("{metric: no_such_metric, value: v}", "not in the catalog"),
        ("{metric: web_portals, value: v, qualifiers: {sector: police}}", "no qualifier"),
        ("{metric: eoffice_agencies, value: v, qualifiers: {kind: robots}}", "is not one of"),
        ("{metric: web_portals, value: v, qualifiers: {level: galaxy}}", "not in the vocabulary"),
    ],
)
def test_rules_are_checked_against_the_catalog(tmp_path: Path, rule: str, message: str) -> None:
    rules = _copy_rules(tmp_path)
    (rules / "broken.yml").write_text(
        f"rules:\n  - id: broken\n    pattern: '(?P<v>{{NUM}}) x'\n    emit: [{rule}]\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleError, match=message):
        load_rules(rules)


def test_unknown_placeholder_is_an_error(tmp_path: Path) -> None:
    rules = _copy_rules(tmp_path)
    (rules / "broken.yml").write_text(
        "rules:\n  - id: broken\n    pattern: '{nope} (?P<v>{NUM})'\n"
        "    emit: [{metric: web_portals, value: v}]\n",
        encoding="utf-8",
    )
    with pytest.raises(RuleError, match="unknown placeholder"):
        load_rules(rules)


def test_shipped_rules_load_and_cover_most_of_the_catalog() -> None:
    rules = load_rules()
    catalog = load_catalog(CATALOG_PATH)
    families = load_families()
    emitted = {e.metric for r in rules.rules for e in r.emits} | {
        e.metric for r in rules.rules for spec in r.lists for e in spec.emits
    }
    # Phrasing families read dossier counts (and their rates), index scores and ranks,
    # and statistics tables.
    by_family = {metric for metric, _ in families.dossier_cues if metric}
    by_family |= {f"{metric}_pct" for metric in by_family if f"{metric}_pct" in catalog}
    by_family |= {m for _, score, rank in families.indices.values() for m in (score, rank) if m}
    by_family |= set(families.table["dossier_columns"]) | set(families.table["procedure_rows"])
    emitted |= by_family
    assert emitted <= set(catalog), sorted(emitted - set(catalog))
    assert len(emitted) >= 0.95 * len(catalog), sorted(set(catalog) - emitted)


def test_non_catalog_numbers_are_still_mentions() -> None:
    extraction = extract_text(NEWS)
    calls = [m for m in extraction.mentions if m.raw_text == "3.450"]
    assert calls and calls[0].metric is None and calls[0].value == 3450 and calls[0].line == 2
