"""Cell-value vocabularies of dossier exports (value_vocab.yml) as SQL.

Each vocabulary maps labels, as people's exports print them, to one code; the loader
reads a cell through `case_sql`, which compares the cell's label key (SQL macro
`cchc_label`, defined with the loader's macros) with the keys of this file. Unknown labels
give null, so the loader's range checks quarantine the row and name the label.
"""

from __future__ import annotations

import re
import unicodedata
from functools import cache
from pathlib import Path

import yaml

VOCAB_FILE = Path(__file__).with_name("value_vocab.yml")


def label_key(value: str) -> str:
    """The matching key of a label: what SQL's cchc_label(s) computes."""
    folded = unicodedata.normalize("NFD", str(value).lower().replace("đ", "d"))
    stripped = "".join(c for c in folded if not unicodedata.combining(c))
    return re.sub(r"[^a-z0-9]+", " ", stripped).strip()


@cache
def labels(path: Path = VOCAB_FILE) -> dict[str, dict[int | bool, list[str]]]:
    """{vocabulary: {code: labels as written in value_vocab.yml}}."""
    return yaml.load(path.read_text(encoding="utf-8"), Loader=getattr(yaml, "CSafeLoader", yaml.SafeLoader))


@cache
def vocabularies(path: Path = VOCAB_FILE) -> dict[str, dict[str, str]]:
    """{vocabulary: {label key: code as SQL literal}}; a key may name one code only."""
    result: dict[str, dict[str, str]] = {}
    for name, codes in labels(path).items():
        keys: dict[str, str] = {}
        for code, spellings in codes.items():
            literal = _code(code)
            for label in spellings:
                key = label_key(label)
                if keys.get(key, literal) != literal:
                    raise ValueError(f"{path.name}: {name} label {label!r} names two codes")
                keys[key] = literal
        result[name] = keys
    return result


def case_sql(name: str, column: str) -> str:
    """SQL: the code of `column`'s label in vocabulary `name`, else null. A label written
    exactly as in value_vocab.yml is found by plain comparison; only other spellings pay
    for computing the label key (most cells of a file are written one way)."""
    exact = " ".join(
        f"when {_literal(label)} then {_code(code)}"
        for code, spellings in labels()[name].items() for label in spellings
    )
    whens = " ".join(
        f"when '{key}' then {literal}" for key, literal in vocabularies()[name].items()
    )
    return f"(case {column} {exact} else (case cchc_label({column}) {whens} end) end)"


def _literal(label: str) -> str:
    return "'" + unicodedata.normalize("NFC", str(label)).replace("'", "''") + "'"


def _code(code: int | bool) -> str:
    return ("true" if code else "false") if isinstance(code, bool) else str(int(code))
