-- Each report figure that the dossier exports can recompute, with both values.
-- Period: the bounds the report states, else the province's reporting year of the
-- report (dim_dates, cut-off var reporting_year_start). Scope: local agencies (the
-- exports cover no vertical agency), figures without level/sector/unit/service-level
-- breakdowns, about the reporting province itself (no other province, ministry or average).
with

figures as (

    select * from {{ ref('fct_report_figures') }}

),

documents as (

    select * from {{ ref('stg_reports__documents') }}

),

dossiers as (

    select * from {{ ref('fct_dossiers') }}

),

dates as (

    select * from {{ ref('dim_dates') }}
    where not is_unknown

),

reporting_years as (

    select
        reporting_year,
        min(reporting_period_start_date) as period_start_date,
        max(reporting_period_end_date) as period_end_date
    from dates
    group by reporting_year

),

report_periods as (

    select
        documents.report_id,
        coalesce(documents.period_start_date, reporting_years.period_start_date) as period_start_date,
        coalesce(documents.period_end_date, reporting_years.period_end_date) as period_end_date
    from documents
    left join reporting_years
        on documents.report_year = reporting_years.reporting_year

),

received_in_period as (

    select
        report_periods.report_id,
        count(dossiers.dossier_id) as dossiers_received,
        sum(case when dossiers.is_online then 1 else 0 end) as dossiers_online,
        sum(case when dossiers.is_postal then 1 else 0 end) as dossiers_postal,
        sum(case when dossiers.is_paid_online then 1 else 0 end) as dossiers_online_paid,
        min(dossiers.received_date) as first_received_date,
        max(dossiers.received_date) as last_received_date
    from report_periods
    left join dossiers
        on dossiers.received_date between report_periods.period_start_date and report_periods.period_end_date
    group by report_periods.report_id

),

finished_in_period as (

    select
        report_periods.report_id,
        sum(case when dossiers.is_resolved then 1 else 0 end) as dossiers_resolved,
        sum(case when dossiers.is_on_time then 1 else 0 end) as dossiers_on_time,
        sum(case when dossiers.is_late then 1 else 0 end) as dossiers_late
    from report_periods
    left join dossiers
        on dossiers.finished_date between report_periods.period_start_date and report_periods.period_end_date
    group by report_periods.report_id

),

per_report as (

    select
        report_periods.report_id,
        report_periods.period_start_date,
        report_periods.period_end_date,
        received_in_period.first_received_date,
        received_in_period.last_received_date,
        coalesce(received_in_period.dossiers_received, 0) as dossiers_received,
        coalesce(received_in_period.dossiers_online, 0) as dossiers_online,
        coalesce(received_in_period.dossiers_postal, 0) as dossiers_postal,
        coalesce(received_in_period.dossiers_online_paid, 0) as dossiers_online_paid,
        coalesce(finished_in_period.dossiers_resolved, 0) as dossiers_resolved,
        coalesce(finished_in_period.dossiers_on_time, 0) as dossiers_on_time,
        coalesce(finished_in_period.dossiers_late, 0) as dossiers_late
    from report_periods
    left join received_in_period
        on report_periods.report_id = received_in_period.report_id
    left join finished_in_period
        on report_periods.report_id = finished_in_period.report_id

),

recomputable_metrics as (

    select 'dossiers_resolved' as metric_id
    union all
    select 'dossiers_on_time' as metric_id
    union all
    select 'dossiers_on_time_pct' as metric_id
    union all
    select 'dossiers_late' as metric_id
    union all
    select 'dossiers_late_pct' as metric_id
    union all
    select 'dossiers_online' as metric_id
    union all
    select 'dossiers_online_pct' as metric_id
    union all
    select 'dossiers_online_paid' as metric_id
    union all
    select 'dossiers_postal' as metric_id
    union all
    select 'dossiers_postal_pct' as metric_id

),

recomputed as (

    select
        per_report.report_id,
        per_report.period_start_date,
        per_report.period_end_date,
        per_report.first_received_date,
        per_report.last_received_date,
        recomputable_metrics.metric_id,
        case recomputable_metrics.metric_id
            when 'dossiers_resolved' then per_report.dossiers_resolved
            when 'dossiers_on_time' then per_report.dossiers_on_time
            when 'dossiers_on_time_pct' then per_report.dossiers_on_time
            when 'dossiers_late' then per_report.dossiers_late
            when 'dossiers_late_pct' then per_report.dossiers_late
            when 'dossiers_online' then per_report.dossiers_online
            when 'dossiers_online_pct' then per_report.dossiers_online
            when 'dossiers_online_paid' then per_report.dossiers_online_paid
            when 'dossiers_postal' then per_report.dossiers_postal
            when 'dossiers_postal_pct' then per_report.dossiers_postal
        end as exports_numerator,
        -- percentages: on time and late over resolved, online and postal over received
        case recomputable_metrics.metric_id
            when 'dossiers_on_time_pct' then per_report.dossiers_resolved
            when 'dossiers_late_pct' then per_report.dossiers_resolved
            when 'dossiers_online_pct' then per_report.dossiers_received
            when 'dossiers_postal_pct' then per_report.dossiers_received
        end as exports_denominator
    from per_report
    cross join recomputable_metrics

),

comparable_figures as (

    select * from figures
    where
        coalesce(scope_code, 'local') = 'local'
        and level_code is null
        and sector_code is null
        and unit_name is null
        and period_code is null
        and service_level is null
        and about_province_name is null
        and ministry_name is null
        and stat_code is null

),

compared as (

    select
        comparable_figures.figure_id,
        comparable_figures.report_id,
        comparable_figures.province_name,
        comparable_figures.report_year,
        recomputed.period_start_date,
        recomputed.period_end_date,
        recomputed.first_received_date as exports_first_received_date,
        recomputed.last_received_date as exports_last_received_date,
        comparable_figures.metric_id,
        comparable_figures.figure_unit,
        comparable_figures.figure_value as report_value,
        cast(recomputed.exports_numerator as bigint) as exports_numerator,
        cast(recomputed.exports_denominator as bigint) as exports_denominator,
        case
            when recomputed.exports_denominator is null
                then cast(recomputed.exports_numerator as {{ type_double() }})
            when recomputed.exports_denominator > 0
                then cast(
                    round(100.0 * recomputed.exports_numerator / recomputed.exports_denominator, 2)
                    as {{ type_double() }}
                )
        end as exports_value,
        comparable_figures.source_line
    from comparable_figures
    inner join recomputed
        on
            comparable_figures.report_id = recomputed.report_id
            and comparable_figures.metric_id = recomputed.metric_id

),

final as (

    select
        *,
        exports_value - report_value as difference
    from compared

)

select * from final
