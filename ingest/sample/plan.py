"""The generation plan: integer counts per agency and month, calibrated to the report.

Every total is first scaled (`round(scale * number)`) and then split by largest remainder,
so at scale 1.0 the year totals equal the report's numbers exactly and at other scales
they round proportionally. The plan is small (agencies x 12 months) and fixes every count
the files will hold before a single row is drawn.
"""

from __future__ import annotations

import calendar
from dataclasses import dataclass, field
from datetime import date
from functools import cache
from pathlib import Path

import numpy as np
import yaml

from ingest.sample.reference import Field, fields_from_catalog, largest_remainder, read_seed

HERE = Path(__file__).resolve().parent
CALIBRATION_FILE = HERE / "calibration.yml"
LOCAL_KINDS = ("department", "district_committee", "land_office", "commune_committee")


@cache
def load_calibration(path: Path = CALIBRATION_FILE) -> dict:
    return yaml.safe_load(path.read_text(encoding="utf-8"))


@dataclass
class Agency:
    """A local agency that files exports, with the procedures it handles."""

    index: int
    code: str
    name: str
    kind: str
    valid_from: date
    valid_to: date | None
    procedures: np.ndarray  # indices into Catalog.procedures
    online: np.ndarray  # subsets of `procedures` eligible per channel
    paid: np.ndarray
    postal: np.ndarray
    district: str = ""  # empty for provincial units and, from 2025-07-01, communes
    predecessors: tuple[str, ...] = ()  # codes of the agencies this one took over
    unmatched_formers: int = 0  # former units it was formed from that no agency here ran

    def active_days(self, year: int, month: int) -> tuple[int, int]:
        """First and last day of the month on which the agency existed ((1, 0) if none)."""
        first = max(date(year, month, 1), self.valid_from)
        last = date(year, month, calendar.monthrange(year, month)[1])
        if self.valid_to is not None:
            last = min(last, self.valid_to)
        if last < first:
            return 1, 0
        return first.day, last.day


@dataclass
class Catalog:
    """Reference data as arrays: procedures with their field's processing days and fees."""

    fields: list[Field]
    proc_code: list[str]
    proc_name: list[str]
    proc_field: np.ndarray  # index into fields
    proc_days: np.ndarray
    proc_fee: np.ndarray  # a typical fee (VND) for dossiers not paid online
    proc_fee_units: np.ndarray  # relative fee weight for dossiers paid online
    proc_weight: np.ndarray  # popularity
    proc_online: np.ndarray
    proc_paid: np.ndarray
    proc_postal: np.ndarray


@dataclass
class Plan:
    year: int
    scale: float
    catalog: Catalog
    agencies: list[Agency]
    # (agencies, 12) integer arrays
    resolved: np.ndarray
    late: np.ndarray
    closed: np.ndarray
    pending: np.ndarray
    online: np.ndarray
    postal: np.ndarray
    paid: np.ndarray
    fee_units: np.ndarray
    fee_unit: int
    targets: dict[str, int] = field(default_factory=dict)

    @property
    def received(self) -> np.ndarray:
        return self.resolved + self.closed + self.pending

    def totals(self) -> dict[str, int]:
        """Year totals the written files add up to (clean rows, messiness aside)."""
        return {
            "received": int(self.received.sum()),
            "resolved": int(self.resolved.sum()),
            "on_time": int(self.resolved.sum() - self.late.sum()),
            "late": int(self.late.sum()),
            "closed": int(self.closed.sum()),
            "pending": int(self.pending.sum()),
            "online": int(self.online.sum()),
            "postal": int(self.postal.sum()),
            "paid_online": int(self.paid.sum()),
            "fees_paid_online": int(self.fee_units.sum()) * self.fee_unit,
        }


def load_catalog_arrays(reference_dir: Path) -> Catalog:
    fields = fields_from_catalog()
    field_index = {f.code: i for i, f in enumerate(fields)}
    procs = read_seed(reference_dir, "procedures")
    core = {r["procedure_code"] for r in read_seed(Path(__file__).parent, "core_procedures")}
    pf = np.array([field_index[p["field_code"]] for p in procs])
    fees = [fields[i].fees for i in pf]
    return Catalog(
        fields=fields,
        proc_code=[p["procedure_code"] for p in procs],
        proc_name=[p["procedure_name"] for p in procs],
        proc_field=pf,
        proc_days=np.array([fields[i].days for i in pf]),
        proc_fee=np.array([f[k % len(f)] for k, f in enumerate(fees)], dtype=np.int64),
        proc_fee_units=np.array([max(1.0, max(f) / 50000) for f in fees]),
        # Hand-written core procedures are the everyday ones (birth registration, land...).
        proc_weight=np.array([12.0 if p["procedure_code"] in core else 1.0 + (k % 5) * 0.5
                              for k, p in enumerate(procs)]),
        proc_online=np.array([p["service_level"] in ("3", "4") for p in procs]),
        proc_paid=np.array([p["is_online_payment_enabled"] == "true" for p in procs]),
        proc_postal=np.array([p["is_postal_enabled"] == "true" for p in procs]),
    )


def _eligible(kind: str, owners: set[str], two_tier: bool, cat: Catalog,
              procs: list[dict[str, str]]) -> np.ndarray:
    """Procedures an agency handles. A merged department handles its predecessors' fields
    (`owners`); a commune since 2025-07-01 (`two_tier`) also the district level's."""
    level = np.array([p["level"] for p in procs])
    field_levels = [cat.fields[i].levels for i in cat.proc_field]
    if kind == "department":
        own = np.array([cat.fields[i].owner in owners for i in cat.proc_field])
        ok = own & np.isin(level, ["province", "multi_level"])
    elif kind == "land_office":
        land = np.array([cat.fields[i].land for i in cat.proc_field])
        ok = land & np.isin(level, ["district", "multi_level"])
    else:
        tiers = (["district"] if kind == "district_committee"
                 else ["district", "commune"] if two_tier else ["commune"])
        ok = np.isin(level, tiers) | ((level == "multi_level")
                                      & np.array([bool(set(tiers) & set(fl)) for fl in field_levels]))
    return np.flatnonzero(ok)


def load_agencies(reference_dir: Path, cat: Catalog, year: int) -> list[Agency]:
    """The local agencies of the seed, each with what it took over: the agencies whose
    successor it is, and the former units (seed unit_lineage) no agency here ran (a
    commune of former Ninh Thuận in a Khánh Hòa commune formed on 2025-07-01). An
    agency handles the procedures it has at the end of `year` (a department that absorbed
    another in March handles the other's fields all year)."""
    procs = read_seed(reference_dir, "procedures")
    rows = read_seed(reference_dir, "agencies")
    predecessors: dict[str, list[str]] = {}
    for row in rows:
        if row["successor_code"]:
            predecessors.setdefault(row["successor_code"], []).append(row["agency_code"])
    run_here = {row["gso_code"] for row in rows if row["gso_code"]}
    lineage = (read_seed(reference_dir, "unit_lineage")
               if (reference_dir / "unit_lineage.csv").is_file() else [])
    formers: dict[str, int] = {}
    for row in lineage:
        if row["unit_level"] == "commune" and row["former_unit_code"] not in run_here:
            formers[row["unit_code"]] = formers.get(row["unit_code"], 0) + 1

    ended = {row["agency_code"] for row in rows if row["valid_to"] and row["valid_to"] <= f"{year}-12-31"}

    def owners(code: str) -> set[str]:
        """Department numbers whose fields the agency handles by the end of `year`."""
        return {code.split(".")[2]}.union(*(owners(p) for p in predecessors.get(code, [])
                                            if p in ended))

    out: list[Agency] = []
    for row in rows:
        if row["kind"] not in LOCAL_KINDS:
            continue
        valid_from = date.fromisoformat(row["valid_from"] or "2016-01-01")
        two_tier = row["kind"] == "commune_committee" and not row["district"]
        eligible = _eligible(row["kind"], owners(row["agency_code"]), two_tier, cat, procs)
        if not len(eligible):
            continue  # e.g. Van phong UBND tinh: no procedure of its own in the catalog
        out.append(Agency(
            index=len(out), code=row["agency_code"], name=row["agency_name"], kind=row["kind"],
            valid_from=valid_from,
            valid_to=date.fromisoformat(row["valid_to"]) if row["valid_to"] else None,
            procedures=eligible,
            online=eligible[cat.proc_online[eligible]],
            paid=eligible[cat.proc_paid[eligible] & cat.proc_online[eligible]],
            postal=eligible[cat.proc_postal[eligible]],
            district=row["district"],
            predecessors=tuple(predecessors.get(row["agency_code"], ())),
            unmatched_formers=formers.get(row["gso_code"], 0) if two_tier else 0,
        ))
    return out


def _year_share(agency: Agency, year: int) -> float:
    """Share of the year's days on which the agency existed."""
    days = sum(last - first + 1 for first, last in
               (agency.active_days(year, m) for m in range(1, 13)))
    return days / (366 if calendar.isleap(year) else 365)


def _share_after(agency: Agency, year: int) -> float:
    """Share of the year's days after the agency ended (0 if it had not by the year end)."""
    if agency.valid_to is None or agency.valid_to.year > year:
        return 0.0
    if agency.valid_to.year < year:
        return 1.0
    return (date(year, 12, 31) - agency.valid_to).days / (366 if calendar.isleap(year) else 365)


def _base_weights(agencies: list[Agency], group: dict) -> dict[str, float]:
    """Code -> the group's weight of a member: its own key (department number, or the
    district of a commune), else, for a department or a commune since 2025-07-01 formed
    from others, the sum of theirs plus the default for each former unit no agency here
    ran; else the default."""
    weights, default = group["weights"], float(group["weights"].get("default", 0.0))
    by_code = {a.code: a for a in agencies}

    def base(agency: Agency) -> float:
        key = agency.code.split(".")[2]
        if key in weights:
            return float(weights[key])
        if not agency.district and (agency.predecessors or agency.unmatched_formers):
            return (sum(base(by_code[p]) for p in agency.predecessors if p in by_code)
                    + default * agency.unmatched_formers)
        return default

    return {a.code: base(a) for a in agencies}


def volume_growth(agencies: list[Agency], cal: dict, year: int) -> float:
    """Dossier volume of `year` relative to the calibration year: the commune group's
    weight in force, averaged over the days (1.0 for the calibration year itself). The
    report's totals are for Khánh Hòa as it was; from 2025-07-01 the province also serves
    former Ninh Thuận, whose communes enter with the default weight each."""
    members = [a for a in agencies if a.kind == "commune_committee"]
    base = _base_weights(members, cal["groups"]["commune_committee"])

    def average(of_year: int) -> float:
        return sum(base[a.code] * _year_share(a, of_year) for a in members)

    return average(year) / average(int(cal["year"]))


def _resolved_and_late_at_full_scale(agencies: list[Agency], cal: dict, year: int,
                                     targets: dict[str, int]) -> tuple[np.ndarray, np.ndarray]:
    """Per-agency resolved and late dossiers over the year at scale 1.0 (exact integers).

    Every weight counts per day of existence: a commune merged away in February (and its
    successor from March) gets the share of the year it existed. A named agency's figure
    is for a whole year: in a year it ended, its successor takes the rest (a district
    committee has none: the communes, which took over its work, do)."""
    n = len(agencies)
    resolved = np.zeros(n, dtype=np.int64)
    late = np.zeros(n, dtype=np.int64)
    explicit = np.zeros(n, dtype=bool)
    by_code = {a.code: a.index for a in agencies}
    handed = np.zeros(n)  # a named agency's resolved dossiers its successor takes over
    handed_late = np.zeros(n)
    for code, spec in cal["agencies"].items():
        if code not in by_code:
            continue
        i = by_code[code]
        share = _year_share(agencies[i], year)
        resolved[i], late[i] = round(spec["resolved"] * share), round(spec["late"] * share)
        explicit[i] = True
        successor = next((a.index for a in agencies if code in a.predecessors), None)
        if successor is not None:
            after = min(_year_share(agencies[successor], year), _share_after(agencies[i], year))
            handed[successor] += spec["resolved"] * after
            handed_late[successor] += spec["late"] * after
    groups = cal["groups"]
    fixed = [g["resolved"] for g in groups.values() if g["resolved"] != "rest"]
    used = int(resolved.sum()) + sum(fixed) + int(round(handed.sum()))
    late_weight = np.zeros(n)
    for kind, group in groups.items():
        members = [a for a in agencies if a.kind == kind and not explicit[a.index]]
        if not members:
            continue
        total = targets["resolved"] - used if group["resolved"] == "rest" else group["resolved"]
        base = _base_weights(agencies, group)
        weights = []
        for a in members:
            # an agency that kept its own weight also takes over its predecessors' (a
            # department absorbing another); one formed from others already sums them
            share = _year_share(a, year)
            taken = (sum(base[p] * min(share, _share_after(agencies[by_code[p]], year))
                         for p in a.predecessors if p in by_code and not explicit[by_code[p]])
                     if a.code.split(".")[2] in group["weights"] else 0.0)
            weights.append(base[a.code] * share + taken)
        idx = np.array([a.index for a in members])
        resolved[idx] = largest_remainder(total, np.array(weights))
        late_weight[idx] = resolved[idx] * group["late_weight"]
    handed_int = largest_remainder(int(round(handed.sum())), handed) if handed.any() else handed
    resolved += np.asarray(handed_int, dtype=np.int64)
    late_weight += handed_late
    rest = targets["late"] - int(late[explicit].sum())
    late[~explicit] = largest_remainder(rest, late_weight[~explicit])
    return resolved, late


def month_weights(agencies: list[Agency], year: int, seasonality: list[float]) -> np.ndarray:
    """(agencies, 12): seasonality x share of the month's days the agency existed."""
    w = np.zeros((len(agencies), 12))
    for a in agencies:
        for m in range(1, 13):
            first, last = a.active_days(year, m)
            if last >= first:
                days = calendar.monthrange(year, m)[1]
                w[a.index, m - 1] = seasonality[m - 1] * (last - first + 1) / days
    return w


def _split_rows(totals: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """Each row's total split over its columns by largest remainder."""
    out = np.zeros(weights.shape, dtype=np.int64)
    for i, total in enumerate(totals):
        if total:
            out[i] = largest_remainder(int(total), weights[i])
    return out


def _global(total: int, weights: np.ndarray) -> np.ndarray:
    return largest_remainder(total, weights.ravel()).reshape(weights.shape)


def build_plan(year: int = 2020, scale: float = 1.0, reference_dir: Path | None = None) -> Plan:
    """All counts per agency and month for `year` at `scale`."""
    if scale <= 0:
        raise ValueError("scale must be positive")
    if reference_dir is None:
        from ingest.settings import get_settings

        reference_dir = get_settings().reference_dir
    cal = load_calibration()
    cat = load_catalog_arrays(reference_dir)
    agencies = load_agencies(reference_dir, cat, year)
    growth = volume_growth(agencies, cal, year)
    # the report's totals (and the design choices beside them) for this year's province
    report = {k: int(round(v * growth)) if isinstance(v, int) else v
              for k, v in cal["report"].items()}
    cal = {**cal, "received": int(round(cal["received"] * growth)),
           "closed": int(round(cal["closed"] * growth))}

    def scaled(number: int) -> int:
        return int(round(scale * number))

    resolved_1, late_1 = _resolved_and_late_at_full_scale(agencies, cal, year, report)
    resolved_a = largest_remainder(scaled(report["resolved"]), resolved_1)
    late_a = largest_remainder(scaled(report["late"]), late_1)
    months = month_weights(agencies, year, cal["seasonality"])
    resolved = _split_rows(resolved_a, months)
    late = np.zeros_like(resolved)
    for i in range(len(agencies)):
        if late_a[i]:
            late[i] = largest_remainder(int(late_a[i]), resolved[i])
    closed = _global(scaled(cal["closed"]), resolved.astype(float))
    pend_w = np.zeros(12)
    for month, share in cal["pending_months"].items():
        pend_w[int(month) - 1] = share
    n_pending = scaled(cal["received"]) - scaled(report["resolved"]) - scaled(cal["closed"])
    pending = _global(n_pending, (resolved + closed) * pend_w[None, :])
    received = resolved + closed + pending

    def propensity(name: str, eligible: str) -> np.ndarray:
        return np.array([cal[name][a.kind] if len(getattr(a, eligible)) else 0.0 for a in agencies])

    online = _global(scaled(report["online"]), received * propensity("online", "online")[:, None])
    postal = _global(scaled(report["postal"]),
                     (received - online) * propensity("postal", "postal")[:, None])
    paid = _global(scaled(report["paid_online"]), online * propensity("paid_online", "paid")[:, None])
    unit = int(cal["fee_unit"])
    units_total = scaled(report["fees_paid_online"] // unit)
    fee_level = np.array([cat.proc_fee_units[a.paid].mean() if len(a.paid) else 0.0 for a in agencies])
    extra = units_total - int(paid.sum())
    if extra < 0:
        raise ValueError("fees paid online too small for the number of paid dossiers")
    fee_units = paid + (_global(extra, paid * fee_level[:, None]) if extra else 0)
    return Plan(year, scale, cat, agencies, resolved, late, closed, pending, online, postal, paid,
                fee_units, unit, targets={k: scaled(v) for k, v in report.items()
                                          if isinstance(v, int)})
