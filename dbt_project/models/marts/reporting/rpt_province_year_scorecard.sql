-- The province's year at a glance: what the dossier exports count (numerators and
-- denominators, by reporting year under the province's cut-off), what the procedure
-- catalog offers, and what the yearly report states, side by side.
with

dossiers as (

    select * from {{ ref('int_dossiers_reporting_years') }}

),

procedures as (

    select * from {{ ref('dim_procedures') }}
    where not is_unknown

),

figures as (

    select * from {{ ref('fct_report_figures') }}

),

dates as (

    select * from {{ ref('dim_dates') }}
    where not is_unknown

),

intake as (

    select
        received_reporting_year as reporting_year,
        count(*) as dossiers_received,
        sum(case when is_online then 1 else 0 end) as dossiers_online,
        sum(case when is_postal then 1 else 0 end) as dossiers_postal,
        sum(case when has_fee then 1 else 0 end) as dossiers_with_fee,
        sum(case when is_paid_online then 1 else 0 end) as dossiers_paid_online,
        count(distinct agency_id) as agencies_with_dossiers,
        count(distinct case when is_online then procedure_id end) as procedures_with_online_dossiers
    from dossiers
    where received_reporting_year is not null
    group by received_reporting_year

),

outcomes as (

    select
        finished_reporting_year as reporting_year,
        sum(case when is_resolved then 1 else 0 end) as dossiers_resolved,
        sum(case when is_on_time then 1 else 0 end) as dossiers_on_time,
        sum(case when is_late then 1 else 0 end) as dossiers_late,
        sum(case when is_returned_or_withdrawn then 1 else 0 end) as dossiers_returned_or_withdrawn
    from dossiers
    where finished_reporting_year is not null
    group by finished_reporting_year

),

falling_due as (

    select
        due_reporting_year as reporting_year,
        count(*) as dossiers_due
    from dossiers
    where due_reporting_year is not null
    group by due_reporting_year

),

catalog as (

    select
        count(*) as procedures_in_catalog,
        sum(case when is_online_enabled then 1 else 0 end) as procedures_online_enabled,
        sum(case when is_online_payment_enabled then 1 else 0 end) as procedures_online_payment_enabled,
        sum(case when is_postal_enabled then 1 else 0 end) as procedures_postal_enabled
    from procedures

),

-- Whole-province figures of the report: no breakdown but the local scope.
stated as (

    select
        report_year as reporting_year,
        max(case when metric_id = 'dossiers_resolved' then figure_value end) as report_dossiers_resolved,
        max(case when metric_id = 'dossiers_on_time_pct' then figure_value end) as report_dossiers_on_time_pct,
        max(case when metric_id = 'dossiers_online' then figure_value end) as report_dossiers_online,
        max(case when metric_id = 'dossiers_online_pct' then figure_value end) as report_dossiers_online_pct,
        max(case when metric_id = 'dossiers_online_paid' then figure_value end) as report_dossiers_online_paid,
        max(case when metric_id = 'procedures_total' then figure_value end) as report_procedures_total,
        max(case when metric_id = 'procedures_online_enabled' then figure_value end)
            as report_procedures_online_enabled,
        max(case when metric_id = 'par_index_score' then figure_value end) as report_par_index_score,
        max(case when metric_id = 'par_index_rank' then figure_value end) as report_par_index_rank
    from figures
    where
        coalesce(scope_code, 'local') = 'local'
        and level_code is null
        and sector_code is null
        and unit_name is null
        and service_level is null
        and kind_code is null
        and period_code is null
        and about_province_name is null
        and ministry_name is null
        and stat_code is null
        and province_name = '{{ var("province_name") }}'
    group by report_year

),

years as (

    select reporting_year from intake
    union
    select reporting_year from outcomes
    union
    select reporting_year from stated

),

periods as (

    select
        reporting_year,
        min(reporting_period_start_date) as period_start_date,
        max(reporting_period_end_date) as period_end_date
    from dates
    group by reporting_year

),

final as (

    select
        '{{ var("province_name") }}-' || cast(years.reporting_year as {{ dbt.type_string() }}) as province_year_id,
        '{{ var("province_name") }}' as province_name,
        years.reporting_year,
        periods.period_start_date,
        periods.period_end_date,
        cast(coalesce(intake.dossiers_received, 0) as bigint) as dossiers_received,
        cast(coalesce(intake.dossiers_online, 0) as bigint) as dossiers_online,
        cast(coalesce(intake.dossiers_postal, 0) as bigint) as dossiers_postal,
        cast(coalesce(intake.dossiers_with_fee, 0) as bigint) as dossiers_with_fee,
        cast(coalesce(intake.dossiers_paid_online, 0) as bigint) as dossiers_paid_online,
        cast(coalesce(outcomes.dossiers_resolved, 0) as bigint) as dossiers_resolved,
        cast(coalesce(outcomes.dossiers_on_time, 0) as bigint) as dossiers_on_time,
        cast(coalesce(outcomes.dossiers_late, 0) as bigint) as dossiers_late,
        cast(coalesce(outcomes.dossiers_returned_or_withdrawn, 0) as bigint) as dossiers_returned_or_withdrawn,
        cast(coalesce(falling_due.dossiers_due, 0) as bigint) as dossiers_due,
        cast(coalesce(intake.agencies_with_dossiers, 0) as bigint) as agencies_with_dossiers,
        cast(coalesce(intake.procedures_with_online_dossiers, 0) as bigint) as procedures_with_online_dossiers,
        cast(catalog.procedures_in_catalog as bigint) as procedures_in_catalog,
        cast(catalog.procedures_online_enabled as bigint) as procedures_online_enabled,
        cast(catalog.procedures_online_payment_enabled as bigint) as procedures_online_payment_enabled,
        cast(catalog.procedures_postal_enabled as bigint) as procedures_postal_enabled,
        stated.report_dossiers_resolved,
        stated.report_dossiers_on_time_pct,
        stated.report_dossiers_online,
        stated.report_dossiers_online_pct,
        stated.report_dossiers_online_paid,
        stated.report_procedures_total,
        stated.report_procedures_online_enabled,
        stated.report_par_index_score,
        stated.report_par_index_rank
    from years
    cross join catalog
    left join periods
        on years.reporting_year = periods.reporting_year
    left join intake
        on years.reporting_year = intake.reporting_year
    left join outcomes
        on years.reporting_year = outcomes.reporting_year
    left join falling_due
        on years.reporting_year = falling_due.reporting_year
    left join stated
        on years.reporting_year = stated.reporting_year

)

select * from final
