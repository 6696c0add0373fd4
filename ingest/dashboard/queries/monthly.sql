-- The whole province per reporting month. Months follow the reporting year's cut-off
-- (marts.dim_dates): with a year of 15 Dec - 14 Dec, a month runs from the 15th to the
-- 14th of the next and is named after the month it ends in, so the twelve months of a
-- reporting year add up to the year (with a 1 Jan cut-off they are calendar months).
-- Each measure falls in the month of its own event; rates from the metric definitions.
with days as (
    select
        date_id,
        reporting_year,
        case
            when day(reporting_period_start_date) > 1 and day_of_month_number >= day(reporting_period_start_date)
                then cast(month_start_date + interval 1 month as date)
            else month_start_date
        end as period_month
    from marts.dim_dates
    where not is_unknown
),

periods as (
    select
        period_month,
        any_value(reporting_year) as reporting_year,
        min(date_id) as period_start_date,
        max(date_id) as period_end_date
    from days
    group by period_month
),

monthly as (
    select
        days.period_month,
        sum(activity.dossiers_received) as dossiers_received,
        sum(activity.dossiers_online) as dossiers_online,
        sum(activity.dossiers_resolved) as dossiers_resolved,
        sum(activity.dossiers_on_time) as dossiers_on_time,
        {rate:dossiers_on_time_pct} as on_time_rate,
        {rate:dossiers_online_pct} as online_rate
    from marts.fct_dossier_activity as activity
    inner join days on activity.activity_date = days.date_id
    group by days.period_month
    having sum(activity.dossiers_received) > 0 or sum(activity.dossiers_resolved) > 0
)

select
    periods.period_month,
    periods.reporting_year,
    periods.period_start_date,
    periods.period_end_date,
    monthly.dossiers_received,
    monthly.dossiers_online,
    monthly.dossiers_resolved,
    monthly.dossiers_on_time,
    monthly.on_time_rate,
    monthly.online_rate
from monthly
inner join periods on monthly.period_month = periods.period_month
order by periods.period_month
