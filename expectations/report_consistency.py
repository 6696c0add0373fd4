"""The report checks: their SQL, generated from expectations/report_rules.yml (and the
`report` ratios of ingest/metric_definitions.yml, where each metric is defined), and the
list of checks itself (name, severity, query, why), read by both places that run them.

Every query reads `{batch}` (GX's placeholder for marts.fct_report_figures, or for
marts.fct_report_changes in change_checks()) and returns the offending rows in the
register's shape: report_id, metrics, expected, observed, difference, tolerance,
source_lines. Plain SQL that DuckDB and Postgres share.

figure_checks() and change_checks() are the one definition of the report suites:
expectations/suites/fct_report_figures.py and fct_report_changes.py list them for the gate
(expectations/validate.py makes each a GX expectation), expectations/report_check.py runs
the same SQL on one extracted report in an in-memory DuckDB (`cchc check-report`). This
module imports neither GX nor pandas, so the fast path stays fast.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from pathlib import Path
from typing import Literal

from ingest.reports.normalize import read_yaml

RULES_FILE = Path(__file__).with_name("report_rules.yml")
CATALOG_FILE = Path(__file__).resolve().parent.parent / "ingest" / "reports" / "report_metrics.yml"
DEFINITIONS_FILE = Path(__file__).resolve().parent.parent / "ingest" / "metric_definitions.yml"

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
    # A figure about another province, a ministry or a national aggregate is never
    # compared with the text's own figures: they differ in these keys.
    "province": "about_province_name",
    "ministry": "ministry_name",
    "stat": "stat_code",
}
# Half a unit of the last printed digit; an unknown precision is read as whole numbers.
TOLERANCE = "0.5 * power(10, -coalesce({alias}printed_decimals, 0))"
# A count is exact unless printed rounded ("8,98 ngan" = 8,980 to the nearest ten:
# printed_decimals -1, half a unit is 5).
COUNT_TOLERANCE = ("case when coalesce({alias}printed_decimals, 0) < 0"
                   " then 0.5 * power(10, -{alias}printed_decimals) else 0 end")


@cache
def rules() -> dict:
    return read_yaml(RULES_FILE)


@cache
def report_ratios() -> dict:
    """Percent metric -> {numerator, denominator} as the metric definitions give them."""
    definitions = read_yaml(DEFINITIONS_FILE)["metrics"]
    return {code: spec["report"] for code, spec in definitions.items() if "report" in spec}


@cache
def catalog_metrics() -> dict:
    return read_yaml(CATALOG_FILE)["metrics"]


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


def partitions(dimension: str) -> list[list[str]]:
    """The value sets of one qualifier that each partition its whole (report_rules.yml
    lists one set, or several: service levels 3 + 4 before 2022, full + partial since)."""
    spec = rules()["part_whole"][dimension]
    sets = spec if spec and all(isinstance(v, list) for v in spec) else [spec]
    return [[str(v) for v in values] for values in sets]


def part_whole(dimension: str) -> str:
    """Parts (one qualifier's values) must add up to the figure without that qualifier."""
    column = QUALIFIER_COLUMNS[dimension]
    if dimension == "kind":
        spec = rules()["part_whole"][dimension]
        part_set = "case when " + " or ".join(
            f"(metric_id = {_literal(metric)} and kind_code in ({', '.join(map(_literal, kinds))}))"
            for metric, kinds in spec.items()
        ) + " then 1 end"
        is_total = "coalesce(kind_code, 'all') = 'all'"
    else:
        # Compared as text: service levels are codes ('3', '4', 'full', ...), not numbers.
        part_set = "case " + " ".join(
            f"when cast({column} as varchar) in ({', '.join(map(_literal, values))}) then {number}"
            for number, values in enumerate(partitions(dimension), start=1)
        ) + " end"
        is_total = f"{column} is null"
    sizes = _partition_sizes(dimension)
    return f"""with {_keyed(dimension)},
parts as (
    select
        report_id, metric_id, qkey_{dimension} as qkey, source_text,
        ({part_set}) as partition_number,
        sum(figure_value) as parts_total,
        sum({COUNT_TOLERANCE.format(alias="")}) as parts_tolerance,
        count(*) as part_count,
        string_agg(cast(source_line as varchar), ',' order by source_line) as lines
    from figures
    where figure_unit = 'count' and ({part_set}) is not null
    group by report_id, metric_id, qkey_{dimension}, source_text, ({part_set})
),
totals as (
    select
        report_id, metric_id, qkey_{dimension} as qkey, source_text, figure_value, source_line,
        {COUNT_TOLERANCE.format(alias="")} as tolerance
    from figures
    where figure_unit = 'count' and {is_total}
)
-- A total with its parts in one sentence ("1.787 thu tuc, trong do cap tinh 1.232, ...").
-- Parts above the total are always wrong; parts below it only when they are the whole
-- partition ({sizes}), not a few parts named as examples.
select
    totals.report_id,
    totals.metric_id as metrics,
    totals.figure_value as expected,
    parts.parts_total as observed,
    parts.parts_total - totals.figure_value as difference,
    totals.tolerance + parts.parts_tolerance as tolerance,
    cast(totals.source_line as varchar) || ',' || parts.lines as source_lines
from totals
inner join parts
    on totals.report_id = parts.report_id
    and totals.metric_id = parts.metric_id
    and totals.qkey = parts.qkey
    and totals.source_text = parts.source_text
where parts.part_count >= 2
    and (
        parts.parts_total > totals.figure_value + totals.tolerance + parts.parts_tolerance + 1e-9
        or (
            parts.parts_total < totals.figure_value - totals.tolerance - parts.parts_tolerance - 1e-9
            and parts.part_count >= {_complete_sql(dimension)}
        )
    )
"""


def _partition_sizes(dimension: str) -> str:
    if dimension == "kind":
        return "every kind of the metric"
    return "; ".join(f"{min(len(values), 3)} of {', '.join(values)}" for values in partitions(dimension))


def _complete_sql(dimension: str) -> str:
    """How many parts make a whole partition: all of a small one, three of a larger one
    (province, district and commune without the multi-level few; a few sectors)."""
    if dimension == "kind":
        return "2"
    cases = " ".join(f"when {number} then {min(len(values), 3)}"
                     for number, values in enumerate(partitions(dimension), start=1))
    return f"(case parts.partition_number {cases} end)"


def _ratio_rules() -> list[tuple[str, str, str | None, str | None]]:
    """(percent, numerator, denominator metric or None for "x/y", denominator kind)."""
    listed = report_ratios()
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
        # Any number of parts (two or more), each joined on the whole's qualifiers: the
        # rule applies only where the report prints every part and the whole.
        parts = list(rule["parts"])
        aliases = [f"p{i}" for i in range(1, len(parts) + 1)]
        total = " + ".join(f"{alias}.figure_value" for alias in aliases)
        lines = "\n            || ".join(
            f"',' || cast({alias}.source_line as varchar)" for alias in aliases)
        joins = "\n    ".join(
            f"inner join figures as {alias}\n        on {alias}.report_id = whole.report_id"
            f" and {alias}.metric_id = {_literal(part)} and {alias}.qkey = whole.qkey"
            for alias, part in zip(aliases, parts, strict=True))
        tolerance = " + ".join(COUNT_TOLERANCE.format(alias=f"{alias}.") for alias in ["whole", *aliases])
        queries.append(f"""select
        whole.report_id,
        {_literal(",".join([*parts, rule["whole"]]))} as metrics,
        whole.figure_value as expected,
        {total} as observed,
        {total} - whole.figure_value as difference,
        {tolerance} as tolerance,
        cast(whole.source_line as varchar)
            || {lines} as source_lines
    from figures as whole
    {joins}
    where whole.metric_id = {_literal(rule["whole"])}
        and abs({total} - whole.figure_value) > {tolerance} + 1e-9""")
    for rule in spec["percents"]:
        parts = list(rule["parts"])
        aliases = [f"p{i}" for i in range(1, len(parts) + 1)]
        total = " + ".join(f"{alias}.figure_value" for alias in aliases)
        tolerance = " + ".join(TOLERANCE.format(alias=f"{alias}.") for alias in aliases)
        lines = " || ',' || ".join(f"cast({alias}.source_line as varchar)" for alias in aliases)
        joins = "".join(
            f"\n    inner join figures as {alias}\n        on {alias}.report_id = p1.report_id"
            f" and {alias}.metric_id = {_literal(part)} and {alias}.qkey = p1.qkey"
            for alias, part in zip(aliases[1:], parts[1:], strict=True))
        queries.append(f"""select
        p1.report_id,
        {_literal(",".join(parts))} as metrics,
        100 as expected,
        {total} as observed,
        {total} - 100 as difference,
        {tolerance} as tolerance,
        {lines} as source_lines
    from figures as p1{joins}
    where p1.metric_id = {_literal(parts[0])}
        and abs({total} - 100) > {tolerance} + 1e-9""")
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


# Change statements ("tang 958 ... gap hon 06 lan"), over marts.fct_report_changes.
# value / (value - delta) against the printed multiple: "hon" = more than, "gan" =
# nearly (within a quarter below), none = the multiple rounded.
MULTIPLE_AGREES = """
with stated as (
    select
        *,
        figure_value / nullif(implied_previous_value, 0) as actual_ratio
    from {batch}
    where change_ratio is not null
)
select
    report_id,
    metric_id as metrics,
    change_ratio as expected,
    round(actual_ratio, 2) as observed,
    round(actual_ratio - change_ratio, 2) as difference,
    case when ratio_bound is null then 0.5 else 0 end as tolerance,
    cast(source_line as varchar) as source_lines
from stated
where actual_ratio is null
    or (ratio_bound = 'more' and actual_ratio < change_ratio)
    or (ratio_bound = 'nearly' and (actual_ratio >= change_ratio or actual_ratio < 0.75 * change_ratio))
    or (ratio_bound is null and abs(actual_ratio - change_ratio) > 0.5)
"""

# The previous year's report, when loaded, must hold value - delta for the same metric.
PREVIOUS_YEAR_AGREES = """
select
    changes.report_id,
    changes.metric_id as metrics,
    changes.implied_previous_value as expected,
    previous.figure_value as observed,
    previous.figure_value - changes.implied_previous_value as difference,
    0 as tolerance,
    cast(changes.source_line as varchar) || ',' || cast(previous.source_line as varchar) as source_lines
from {batch} as changes
inner join marts.fct_report_figures as previous
    on previous.province_name = changes.province_name
    and previous.report_year = changes.report_year - 1
    and previous.metric_id = changes.metric_id
    and previous.qualifiers_json = changes.qualifiers_json
where previous.figure_value <> changes.implied_previous_value
"""


# --------------------------------------------------------------------------- the checks

Severity = Literal["fail", "warn"]
FINDING = "reports contain slips; publish both values in the register, keep the report"


@dataclass(frozen=True)
class RowCheck:
    """A check whose query returns the offending rows (GX: UnexpectedRowsExpectation)."""

    name: str
    severity: Severity
    sql: str  # reads {batch}
    why: str
    description: str


@dataclass(frozen=True)
class ColumnCheck:
    """A per-column check (GX: ExpectColumnValuesToBeUnique / ...ToNotBeNull).

    `sql` is the same rule as plain SQL for the fast path: the offending rows.
    """

    name: str
    severity: Severity
    column: str
    test: Literal["unique", "not_null"]
    why: str

    @property
    def expectation_type(self) -> str:
        return {"unique": "expect_column_values_to_be_unique",
                "not_null": "expect_column_values_to_not_be_null"}[self.test]

    @property
    def sql(self) -> str:
        if self.test == "not_null":
            return f"select {self.column} from {{batch}} where {self.column} is null"
        return (f"select {self.column} from {{batch}} where {self.column} in "
                f"(select {self.column} from {{batch}} group by {self.column} having count(*) > 1)")


Check = RowCheck | ColumnCheck


@cache
def figure_checks() -> tuple[Check, ...]:
    """The checks of marts.fct_report_figures, in the order they are reported."""
    return (
        ColumnCheck("figure_id_unique", "fail", "figure_id", "unique",
                    "each extracted figure is one row"),
        ColumnCheck("metric_not_null", "fail", "metric_id", "not_null",
                    "a figure without a metric cannot be queried"),
        RowCheck("percent_in_range", "fail",
                 "select * from {batch} where figure_unit = 'percent' "
                 "and (figure_value < 0 or figure_value > 100)",
                 "a percentage outside 0-100 is an extraction error, not a report finding",
                 "percentages between 0 and 100"),
        RowCheck("levels_sum_to_total", "warn", part_whole("level"), FINDING,
                 "province + district + commune + multi-level = total"),
        RowCheck("sectors_sum_to_total", "warn", part_whole("sector"), FINDING,
                 "vertical sectors add up to the vertical total"),
        RowCheck("service_levels_sum_to_total", "warn", part_whole("service_level"), FINDING,
                 "service levels 3 + 4 (or full + partial) = online-enabled total"),
        RowCheck("kinds_sum_to_total", "warn", part_whole("kind"), FINDING,
                 "the kinds of a metric add up to its total"),
        RowCheck("percent_matches_counts", "warn", ratio(), FINDING,
                 "a printed percentage = its counts, within its printed rounding"),
        RowCheck("complements_add_up", "warn", complement(), FINDING,
                 "on time + late = resolved; shares of a whole sum to 100"),
        RowCheck("fraction_within_whole", "warn", fraction_within_whole(), FINDING,
                 "x <= y in an x/y figure"),
    )


@cache
def change_checks() -> tuple[Check, ...]:
    """The checks of marts.fct_report_changes, in the order they are reported."""
    return (
        RowCheck("change_agrees_with_its_multiple", "warn", MULTIPLE_AGREES, FINDING,
                 "value / (value - change) = the printed multiple"),
        RowCheck("change_agrees_with_previous_report", "warn", PREVIOUS_YEAR_AGREES, FINDING,
                 "value - change = last year's report"),
    )
