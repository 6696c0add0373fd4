"""SQL for the report consistency checks, generated from expectations/report_rules.yml.

Every query reads `{batch}` (GX's placeholder for marts.fct_report_figures) and returns
the offending rows in the register's shape: report_id, metrics, expected, observed,
difference, tolerance, source_lines. Plain SQL that DuckDB and Postgres share.
"""

from __future__ import annotations

from functools import cache
from pathlib import Path

import yaml

RULES_FILE = Path(__file__).with_name("report_rules.yml")
CATALOG_FILE = Path(__file__).resolve().parent.parent / "ingest" / "reports" / "report_metrics.yml"

QUALIFIER_COLUMNS = {
    "level": "level_code",
    "sector": "sector_code",
    "scope": "scope_code",
    "unit": "unit_name",
    "service_level": "service_level",
    "group": "group_code",
    "rating": "rating_code",
    "kind": "kind_code",
    "period": "period_code",
}
# Half a unit of the last printed digit; an unknown precision is read as whole numbers.
TOLERANCE = "0.5 * power(10, -coalesce({alias}printed_decimals, 0))"


@cache
def rules() -> dict:
    return yaml.safe_load(RULES_FILE.read_text(encoding="utf-8"))


@cache
def catalog_metrics() -> dict:
    return yaml.safe_load(CATALOG_FILE.read_text(encoding="utf-8"))["metrics"]


def _literal(value: str) -> str:
    return "'" + str(value).replace("'", "''") + "'"


def _key(without: str | None = None) -> str:
    """All qualifiers but one, as one comparable string (kind "all" counts as no kind)."""
    parts = []
    for name, column in QUALIFIER_COLUMNS.items():
        if name == without:
            continue
        value = "nullif(kind_code, 'all')" if name == "kind" else f"cast({column} as varchar)"
        parts.append(f"coalesce({value}, '')")
    return " || '|' || ".join(parts)


def _keyed(*keys: str) -> str:
    """The figures CTE: every figure with the qualifier keys the query compares on."""
    extra = "".join(f",\n        {_key(k)} as qkey_{k}" for k in keys)
    return f"""figures as (
    select
        *,
        {_key()} as qkey{extra}
    from {{batch}}
)"""


def part_whole(dimension: str) -> str:
    """Parts (one qualifier's values) must add up to the figure without that qualifier."""
    column = QUALIFIER_COLUMNS[dimension]
    spec = rules()["part_whole"][dimension]
    if dimension == "kind":
        is_part = " or ".join(
            f"(metric_id = {_literal(metric)} and kind_code in ({', '.join(map(_literal, kinds))}))"
            for metric, kinds in spec.items()
        )
        is_total = "coalesce(kind_code, 'all') = 'all'"
    else:
        values = ", ".join(str(int(v)) if dimension == "service_level" else _literal(v) for v in spec)
        is_part = f"{column} in ({values})"
        is_total = f"{column} is null"
    return f"""with {_keyed(dimension)},
parts as (
    select
        report_id, metric_id, qkey_{dimension} as qkey,
        sum(figure_value) as parts_total,
        count(*) as part_count,
        string_agg(cast(source_line as varchar), ',' order by source_line) as lines
    from figures
    where figure_unit = 'count' and ({is_part})
    group by report_id, metric_id, qkey_{dimension}
),
totals as (
    select report_id, metric_id, qkey_{dimension} as qkey, figure_value, source_line
    from figures
    where figure_unit = 'count' and {is_total}
)
select
    totals.report_id,
    totals.metric_id as metrics,
    totals.figure_value as expected,
    parts.parts_total as observed,
    parts.parts_total - totals.figure_value as difference,
    0 as tolerance,
    cast(totals.source_line as varchar) || ',' || parts.lines as source_lines
from totals
inner join parts
    on totals.report_id = parts.report_id
    and totals.metric_id = parts.metric_id
    and totals.qkey = parts.qkey
where parts.part_count >= 2 and parts.parts_total <> totals.figure_value
"""


def _ratio_rules() -> list[tuple[str, str, str | None, str | None]]:
    """(percent, numerator, denominator metric or None for "x/y", denominator kind)."""
    listed = rules()["ratios"]
    result = []
    for metric in catalog_metrics():
        if not metric.endswith("_pct"):
            continue
        spec = listed.get(metric, {"numerator": metric.removesuffix("_pct"), "denominator": None})
        denominator = spec["denominator"]
        if isinstance(denominator, dict):
            result.append((metric, spec["numerator"], denominator["metric"], denominator.get("kind")))
        else:
            result.append((metric, spec["numerator"], denominator, None))
    return result


def ratio() -> str:
    """Every printed percentage agrees with its counts within its printed rounding."""
    mapping = "\n    union all ".join(
        f"select {_literal(p)} as pct_metric, {_literal(n)} as numerator_metric, "
        f"{_literal(d) if d else 'cast(null as varchar)'} as denominator_metric, "
        f"{_literal(k) if k else 'cast(null as varchar)'} as denominator_kind"
        for p, n, d, k in _ratio_rules()
    )
    return f"""with {_keyed("kind")},
ratio_rules as (
    {mapping}
),
paired as (
    select
        pct.report_id,
        pct.metric_id || ',' || num.metric_id
            || coalesce(',' || den.metric_id, '') as metrics,
        pct.figure_value as printed,
        {TOLERANCE.format(alias="pct.")} as tolerance,
        num.figure_value as numerator,
        coalesce(den.figure_value, num.figure_denominator) as denominator,
        cast(pct.source_line as varchar) || ',' || cast(num.source_line as varchar)
            || coalesce(',' || cast(den.source_line as varchar), '') as source_lines
    from figures as pct
    inner join ratio_rules on pct.metric_id = ratio_rules.pct_metric
    inner join figures as num
        on num.report_id = pct.report_id
        and num.metric_id = ratio_rules.numerator_metric
        and num.qkey = pct.qkey
    left join figures as den
        on den.report_id = pct.report_id
        and den.metric_id = ratio_rules.denominator_metric
        and (
            (ratio_rules.denominator_kind is null and den.qkey = pct.qkey)
            or (den.qkey_kind = pct.qkey_kind and den.kind_code = ratio_rules.denominator_kind)
        )
    where
        (ratio_rules.denominator_metric is null and num.figure_denominator is not null)
        or (ratio_rules.denominator_metric is not null and den.figure_value is not null)
)
select
    report_id,
    metrics,
    round(100.0 * numerator / denominator, 4) as expected,
    printed as observed,
    round(printed - 100.0 * numerator / denominator, 4) as difference,
    tolerance,
    source_lines
from paired
where denominator > 0 and abs(printed - 100.0 * numerator / denominator) > tolerance + 1e-9
"""


def complement() -> str:
    """Parts of one whole add up: counts exactly, percentages and shares to 100."""
    spec = rules()["complements"]
    queries = []
    for rule in spec["counts"]:
        first, second = rule["parts"]
        queries.append(f"""select
        whole.report_id,
        {_literal(",".join([first, second, rule["whole"]]))} as metrics,
        whole.figure_value as expected,
        a.figure_value + b.figure_value as observed,
        a.figure_value + b.figure_value - whole.figure_value as difference,
        0 as tolerance,
        cast(whole.source_line as varchar) || ',' || cast(a.source_line as varchar)
            || ',' || cast(b.source_line as varchar) as source_lines
    from figures as whole
    inner join figures as a
        on a.report_id = whole.report_id and a.metric_id = {_literal(first)} and a.qkey = whole.qkey
    inner join figures as b
        on b.report_id = whole.report_id and b.metric_id = {_literal(second)} and b.qkey = whole.qkey
    where whole.metric_id = {_literal(rule["whole"])}
        and a.figure_value + b.figure_value <> whole.figure_value""")
    for rule in spec["percents"]:
        first, second = rule["parts"]
        queries.append(f"""select
        a.report_id,
        {_literal(f"{first},{second}")} as metrics,
        100 as expected,
        a.figure_value + b.figure_value as observed,
        a.figure_value + b.figure_value - 100 as difference,
        {TOLERANCE.format(alias="a.")} + {TOLERANCE.format(alias="b.")} as tolerance,
        cast(a.source_line as varchar) || ',' || cast(b.source_line as varchar) as source_lines
    from figures as a
    inner join figures as b
        on b.report_id = a.report_id and b.metric_id = {_literal(second)} and b.qkey = a.qkey
    where a.metric_id = {_literal(first)}
        and abs(a.figure_value + b.figure_value - 100)
            > {TOLERANCE.format(alias="a.")} + {TOLERANCE.format(alias="b.")} + 1e-9""")
    for rule in spec["shares"]:
        by = QUALIFIER_COLUMNS[rule["by"]]
        queries.append(f"""select
        report_id,
        {_literal(rule["metric"])} as metrics,
        100 as expected,
        sum(figure_value) as observed,
        sum(figure_value) - 100 as difference,
        sum({TOLERANCE.format(alias="")}) as tolerance,
        string_agg(cast(source_line as varchar), ',' order by source_line) as source_lines
    from figures
    where metric_id = {_literal(rule["metric"])}
    group by report_id, {by}, qkey_rating
    having count(*) > 1 and abs(sum(figure_value) - 100) > sum({TOLERANCE.format(alias="")}) + 1e-9""")
    return f"with {_keyed('rating')}\n" + "\nunion all\n".join(queries) + "\n"


def fraction_within_whole() -> str:
    """An "x/y" figure cannot have x above y."""
    return """select
    report_id,
    metric_id as metrics,
    figure_denominator as expected,
    figure_value as observed,
    figure_value - figure_denominator as difference,
    0 as tolerance,
    cast(source_line as varchar) as source_lines
from {batch}
where figure_denominator is not null and figure_value > figure_denominator
"""
