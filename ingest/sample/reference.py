"""Reference catalog (fields, procedures) built from catalog.yml, and the seed readers.

``python -m ingest.sample.reference [SEEDS_DIR]`` rewrites fields.csv and procedures.csv
(deterministic: same YAML, same bytes). The 89 hand-written procedures in
core_procedures.csv are kept as they are; the rest of the report's 1,787 procedures are
combinations of each field's verbs and objects, with levels, online service levels,
online payment and postal flags chosen so the catalog's counts equal the report's.
"""

from __future__ import annotations

import csv
import io
import sys
from dataclasses import dataclass
from functools import cache
from pathlib import Path

import numpy as np
import yaml

HERE = Path(__file__).resolve().parent
CATALOG_FILE = HERE / "catalog.yml"
CORE_FILE = HERE / "core_procedures.csv"
LEVELS = {"P": "province", "D": "district", "C": "commune", "M": "multi_level"}
LEVEL_SUFFIX = {"province": "", "district": " (cấp huyện)", "commune": " (cấp xã)", "multi_level": ""}
PROCEDURE_COLUMNS = ["procedure_code", "procedure_name", "field_code", "level", "service_level",
                     "is_online_payment_enabled", "is_postal_enabled"]
# Propensity to be offered online / by post when a field does not say (by verb set).
KIND_ONLINE = {"license": 0.55, "registration": 0.55, "approval": 0.3, "support": 0.3,
               "recognition": 0.15, "complaint": 0.05}
KIND_POSTAL = {"license": 0.8, "registration": 0.8, "approval": 0.6, "support": 0.6,
               "recognition": 0.3, "complaint": 0.2}
CATALOG_SEED = 20201231


@dataclass(frozen=True)
class Field:
    code: str
    name: str
    owner: str  # provincial department number "NN" of 000.00.NN.H34
    levels: tuple[str, ...]
    kind: str
    days: int
    fees: tuple[int, ...]
    online: float
    land: bool
    objects: tuple[str, ...]


@cache
def load_catalog(path: Path = CATALOG_FILE) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


def fields_from_catalog(catalog: dict | None = None) -> list[Field]:
    catalog = catalog or load_catalog()
    out = []
    for f in catalog["fields"]:
        out.append(Field(
            code=f["code"], name=f["name"], owner=str(f["owner"]),
            levels=tuple(LEVELS[c] for c in f["levels"]), kind=f["kind"],
            days=int(f.get("days", 10)), fees=tuple(int(x) for x in f.get("fees", [0])),
            online=float(f.get("online", KIND_ONLINE[f["kind"]])), land=bool(f.get("land", False)),
            objects=tuple(f["objects"]),
        ))
    return out


def largest_remainder(total: int, weights: np.ndarray) -> np.ndarray:
    """Integers proportional to `weights` summing exactly to `total` (Hamilton's method).

    Ties in the fractional parts go to the lower index, so the result is deterministic.
    """
    weights = np.asarray(weights, dtype=np.float64)
    if total == 0:
        return np.zeros(len(weights), dtype=np.int64)
    mass = weights.sum()
    if total < 0 or mass <= 0:
        raise ValueError(f"cannot allocate {total} over weights summing to {mass}")
    quotas = weights * (total / mass)
    base = np.floor(quotas).astype(np.int64)
    short = int(total - base.sum())
    if short:
        order = np.lexsort((np.arange(len(weights)), -(quotas - base)))
        base[order[:short]] += 1
    return base


def _read_rows(path: Path) -> list[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def _code_stream(prefix: str, start: int, step: int, taken: set[str]):
    number = start
    while True:
        code = f"{prefix}.{number:06d}"
        number += step
        if code not in taken:
            taken.add(code)
            yield code


def build_procedures(catalog: dict | None = None) -> list[dict[str, str]]:
    """The full catalog: core procedures first, then generated ones in field order."""
    catalog = catalog or load_catalog()
    targets = catalog["targets"]
    fields = fields_from_catalog(catalog)
    by_code = {f.code: f for f in fields}
    core = _read_rows(CORE_FILE)
    names = {r["procedure_name"] for r in core}
    codes = {r["procedure_code"] for r in core}
    rng = np.random.default_rng(CATALOG_SEED)
    verbs = catalog["verbs"]

    # Candidate names per (field, level): verb-major over the field's objects.
    generated: list[dict] = []
    for level in ("province", "district", "commune", "multi_level"):
        need = targets["levels"][level] - sum(r["level"] == level for r in core)
        eligible = [f for f in fields if level in f.levels]
        capacity = np.array([len(f.objects) * len(verbs[f.kind]) for f in eligible], dtype=float)
        counts = largest_remainder(need, capacity)
        for f, count in zip(eligible, counts, strict=True):
            made = 0
            for verb in verbs[f.kind]:
                for obj in f.objects:
                    if made == count:
                        break
                    name = verb.format(o=obj) + LEVEL_SUFFIX[level]
                    name = name[0].upper() + name[1:]
                    if name in names:
                        continue
                    names.add(name)
                    generated.append({"field": f, "level": level, "name": name})
                    made += 1
            if made < count:
                raise ValueError(f"{f.code}: only {made} names for {count} {level} procedures")

    single = _code_stream("1", 6001, 7, codes)
    multi = _code_stream("2", 100, 3, codes)
    for row in generated:
        row["code"] = next(multi if row["level"] == "multi_level" else single)

    # Attributes so the whole catalog meets the report's counts exactly.
    core_sl = [r["service_level"] for r in core]
    n_sl4 = targets["service_levels"]["4"] - core_sl.count("4")
    n_sl3 = targets["service_levels"]["3"] - core_sl.count("3")
    n_pay = targets["online_payment"] - sum(r["is_online_payment_enabled"] == "true" for r in core)
    n_post = targets["postal"] - sum(r["is_postal_enabled"] == "true" for r in core)
    online_score = np.array([r["field"].online for r in generated]) + rng.uniform(0, 0.6, len(generated))
    order = np.lexsort((np.arange(len(generated)), -online_score))
    service = np.full(len(generated), 2)
    service[order[:n_sl4]] = 4
    service[order[n_sl4:n_sl4 + n_sl3]] = 3
    pay_score = (np.array([max(r["field"].fees) > 0 for r in generated], dtype=float) * 2
                 + (service == 4) + rng.uniform(0, 1, len(generated)))
    pay_score[service == 2] = -1  # online payment only where the procedure is offered online
    pay = np.zeros(len(generated), dtype=bool)
    pay[np.lexsort((np.arange(len(generated)), -pay_score))[:n_pay]] = True
    post_score = (np.array([KIND_POSTAL[r["field"].kind] for r in generated])
                  + rng.uniform(0, 0.5, len(generated)))
    post = np.zeros(len(generated), dtype=bool)
    post[np.lexsort((np.arange(len(generated)), -post_score))[:n_post]] = True

    rows = [{k: r[k] for k in PROCEDURE_COLUMNS} for r in core]
    for i, r in enumerate(generated):
        rows.append({
            "procedure_code": r["code"], "procedure_name": r["name"], "field_code": r["field"].code,
            "level": r["level"], "service_level": str(service[i]),
            "is_online_payment_enabled": "true" if pay[i] else "false",
            "is_postal_enabled": "true" if post[i] else "false",
        })
    assert all(r["field_code"] in by_code for r in rows)
    return rows


def _csv_text(columns: list[str], rows: list[dict[str, str]]) -> str:
    buffer = io.StringIO()
    writer = csv.DictWriter(buffer, fieldnames=columns, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
    return buffer.getvalue()


def write_seeds(seeds_dir: Path) -> list[Path]:
    """Rewrite fields.csv and procedures.csv under seeds_dir; returns the paths."""
    fields = fields_from_catalog()
    field_rows = [{"field_code": f.code, "field_name": f.name} for f in fields]
    targets = {
        seeds_dir / "fields.csv": _csv_text(["field_code", "field_name"], field_rows),
        seeds_dir / "procedures.csv": _csv_text(PROCEDURE_COLUMNS, build_procedures()),
    }
    for path, text in targets.items():
        path.write_text(text, encoding="utf-8", newline="")
    return list(targets)


def read_seed(reference_dir: Path, name: str) -> list[dict[str, str]]:
    """One seed CSV (agencies, procedures, fields) as a list of dicts."""
    return _read_rows(reference_dir / f"{name}.csv")


if __name__ == "__main__":
    from ingest.settings import get_settings

    out = Path(sys.argv[1]) if len(sys.argv) > 1 else get_settings().reference_dir
    for written in write_seeds(out):
        print(f"wrote {written}", file=sys.stderr)
