-- The reporting year the page focuses on: the latest one the exports cover to its end
-- (else the latest with dossiers), its counts, and its defined metrics' values.
with coverage as (
    select max(month_date) + interval 1 month - interval 1 day as last_covered_date
    from marts.rpt_agency_monthly_performance
    where dossiers_received > 0
),

years as (
    select
        scorecard.*,
        scorecard.period_end_date <= coverage.last_covered_date as is_covered
    from marts.rpt_province_year_scorecard as scorecard
    cross join coverage
    where scorecard.dossiers_received > 0
),

focus as (
    select * from years
    order by is_covered desc, reporting_year desc
    limit 1
),

metric_values as (
    select
        metrics.reporting_year,
        max(case when metrics.metric_id = 'dossiers_on_time_pct' then metrics.metric_value end) as on_time_rate,
        max(case when metrics.metric_id = 'dossiers_late_pct' then metrics.metric_value end) as late_rate,
        max(case when metrics.metric_id = 'dossiers_online_pct' then metrics.metric_value end) as online_rate,
        max(case when metrics.metric_id = 'dossiers_paid_online_pct' then metrics.metric_value end)
            as paid_online_rate,
        max(case when metrics.metric_id = 'dossiers_postal_pct' then metrics.metric_value end) as postal_rate,
        max(case when metrics.metric_id = 'procedures_online_enabled_pct' then metrics.metric_value end)
            as online_enabled_rate
    from marts.rpt_province_year_metrics as metrics
    inner join focus on metrics.reporting_year = focus.reporting_year
    group by metrics.reporting_year
)

select
    focus.province_name,
    focus.reporting_year,
    focus.period_start_date,
    focus.period_end_date,
    focus.is_covered,
    focus.dossiers_received,
    focus.dossiers_resolved,
    metric_values.on_time_rate,
    metric_values.late_rate,
    metric_values.online_rate,
    metric_values.paid_online_rate,
    metric_values.postal_rate,
    focus.procedures_in_catalog,
    metric_values.online_enabled_rate
from focus
left join metric_values on focus.reporting_year = metric_values.reporting_year
