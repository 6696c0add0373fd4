-- The latest report's figures against the exports, with the metric's label and whether
-- the difference is beyond the metric's tolerance (as the register lists it).
with latest_report_year as (
    select max(report_year) as report_year from marts.rpt_report_vs_exports
)

select
    compared.metric_id,
    definitions.label_vi,
    definitions.label_en,
    compared.figure_unit,
    compared.report_year,
    compared.period_start_date,
    compared.period_end_date,
    compared.report_value,
    compared.exports_value,
    compared.exports_numerator,
    compared.exports_denominator,
    compared.difference,
    compared.tolerance,
    compared.source_line,
    compared.days_covered,
    coalesce(compared.is_compared and not compared.is_within_tolerance, false) as is_listed
from marts.rpt_report_vs_exports as compared
inner join latest_report_year
    on compared.report_year = latest_report_year.report_year
left join marts.dim_metric_definitions as definitions
    on compared.metric_id = definitions.metric_id
order by compared.figure_unit, compared.report_value desc
