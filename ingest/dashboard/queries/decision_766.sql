-- Decision 766 indicators of reporting year $year.
select
    indicator_code,
    indicator_group,
    indicator_group_name,
    cast(max_points as double) as max_points,
    cast(full_points_share as double) as full_points_share,
    numerator,
    denominator,
    cast(points as double) as points,
    metric_value as achieved_rate
from marts.rpt_decision_766_indicators
where reporting_year = $year
order by indicator_group, indicator_code
