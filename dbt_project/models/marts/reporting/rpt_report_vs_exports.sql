-- Each report figure that the dossier exports can recompute, with both values.
-- Scope: local agencies (the exports cover no vertical agency), whole report year,
-- figures without level/sector/unit breakdowns.
with

figures as (

    select * from {{ ref('fct_report_figures') }}

),

dossiers as (

    select * from {{ ref('fct_dossiers') }}

),

resolved_by_year as (

    select
        extract(year from finished_date) as report_year,
        count(*) as dossiers_resolved,
        sum(case when is_on_time then 1 else 0 end) as dossiers_on_time,
        sum(case when is_late then 1 else 0 end) as dossiers_late
    from dossiers
    where is_resolved
    group by extract(year from finished_date)

),

received_by_year as (

    select
        extract(year from received_date) as report_year,
        count(*) as dossiers_received,
        sum(case when is_online then 1 else 0 end) as dossiers_online,
        sum(case when is_postal then 1 else 0 end) as dossiers_postal,
        sum(case when is_paid_online then 1 else 0 end) as dossiers_online_paid
    from dossiers
    group by extract(year from received_date)

),

yearly as (

    select
        received.report_year,
        received.dossiers_received,
        received.dossiers_online,
        received.dossiers_postal,
        received.dossiers_online_paid,
        coalesce(resolved.dossiers_resolved, 0) as dossiers_resolved,
        coalesce(resolved.dossiers_on_time, 0) as dossiers_on_time,
        coalesce(resolved.dossiers_late, 0) as dossiers_late
    from received_by_year as received
    left join resolved_by_year as resolved
        on received.report_year = resolved.report_year

),

recomputable_metrics as (

    select 'dossiers_resolved' as metric_id
    union all select 'dossiers_on_time'
    union all select 'dossiers_on_time_pct'
    union all select 'dossiers_late'
    union all select 'dossiers_online'
    union all select 'dossiers_online_pct'
    union all select 'dossiers_online_paid'
    union all select 'dossiers_postal'
    union all select 'dossiers_postal_pct'

),

recomputed as (

    select
        yearly.report_year,
        recomputable_metrics.metric_id,
        case recomputable_metrics.metric_id
            when 'dossiers_resolved' then yearly.dossiers_resolved
            when 'dossiers_on_time' then yearly.dossiers_on_time
            when 'dossiers_on_time_pct' then yearly.dossiers_on_time
            when 'dossiers_late' then yearly.dossiers_late
            when 'dossiers_online' then yearly.dossiers_online
            when 'dossiers_online_pct' then yearly.dossiers_online
            when 'dossiers_online_paid' then yearly.dossiers_online_paid
            when 'dossiers_postal' then yearly.dossiers_postal
            when 'dossiers_postal_pct' then yearly.dossiers_postal
        end as exports_numerator,
        -- percentages: on-time over resolved, online and postal over received
        case recomputable_metrics.metric_id
            when 'dossiers_on_time_pct' then yearly.dossiers_resolved
            when 'dossiers_online_pct' then yearly.dossiers_received
            when 'dossiers_postal_pct' then yearly.dossiers_received
        end as exports_denominator
    from yearly
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

),

compared as (

    select
        comparable_figures.figure_id,
        comparable_figures.report_id,
        comparable_figures.province_name,
        comparable_figures.report_year,
        comparable_figures.metric_id,
        comparable_figures.figure_unit,
        comparable_figures.figure_value as report_value,
        recomputed.exports_numerator,
        recomputed.exports_denominator,
        case
            when recomputed.exports_denominator is null then cast(recomputed.exports_numerator as {{ dbt.type_float() }})
            when recomputed.exports_denominator > 0
                then round(100.0 * recomputed.exports_numerator / recomputed.exports_denominator, 2)
        end as exports_value,
        comparable_figures.source_line
    from comparable_figures
    inner join recomputed
        on
            comparable_figures.report_year = recomputed.report_year
            and comparable_figures.metric_id = recomputed.metric_id

),

final as (

    select
        *,
        exports_value - report_value as difference
    from compared

)

select * from final
