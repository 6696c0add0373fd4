-- Reporting year $year at a glance: its counts and its defined metrics' values.
with focus as (
    select * from marts.rpt_province_year_scorecard
    where reporting_year = $year
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
