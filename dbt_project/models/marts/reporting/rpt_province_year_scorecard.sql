-- The province's year at a glance: what the dossier exports count (numerators and
-- denominators, by reporting year under the province's cut-off), what the procedure
-- catalog offers, and what the yearly report states, side by side. Each year carries how
-- much of it the loaded exports cover (int_dates_grouped_by_reporting_year): a year
-- with days missing counts only the days present, is_complete false.
with

yearly as (

    select * from {{ ref('int_dossier_activity_summed_by_year') }}

),

procedures as (

    select * from {{ ref('dim_procedures') }}
    where not is_unknown

),

figures as (

    select * from {{ ref('fct_report_figures') }}

),

periods as (

    select * from {{ ref('int_dates_grouped_by_reporting_year') }}

),

-- The province's latest version (it has one per reorganisation): one row to name it by.
provinces_ranked as (

    select
        unit_name,
        row_number() over (
            order by coalesce(valid_to, cast('9999-12-31' as date)) desc, valid_from desc
        ) as version_rank
    from {{ ref('administrative_units') }}
    where
        unit_level = 'province'
        and unit_name_ascii = '{{ var("province_name") }}'

),

provinces as (

    select unit_name from provinces_ranked
    where version_rank = 1

),

-- Years with dossiers received or finished (a year with dossiers only falling due is
-- none of the province's business yet).
exported as (

    select
        reporting_year,
        {{ sum_activity_measures() }},
        count(distinct case when dossiers_received > 0 then agency_id end) as agencies_with_dossiers,
        count(distinct case when dossiers_online > 0 then procedure_id end) as procedures_with_online_dossiers
    from yearly
    group by reporting_year
    having sum(dossiers_received) > 0 or sum(dossiers_resolved + dossiers_returned_or_withdrawn) > 0

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
        is_headline_figure
        and province_name_ascii = '{{ var("province_name") }}'
    group by report_year

),

years as (

    select reporting_year from exported
    union
    select reporting_year from stated

),

final as (

    select
        '{{ var("province_name") }}-' || cast(years.reporting_year as {{ dbt.type_string() }}) as province_year_id,
        coalesce(provinces.unit_name, '{{ var("province_name") }}') as province_name,
        '{{ var("province_name") }}' as province_name_ascii,
        years.reporting_year,
        periods.period_start_date,
        periods.period_end_date,
        periods.days_covered,
        periods.days_in_period,
        periods.coverage_ratio,
        periods.is_complete,
        {{- coalesce_activity_measures('exported') }},
        cast(coalesce(exported.agencies_with_dossiers, 0) as bigint) as agencies_with_dossiers,
        cast(coalesce(exported.procedures_with_online_dossiers, 0) as bigint) as procedures_with_online_dossiers,
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
    left join provinces
        on true
    left join exported
        on years.reporting_year = exported.reporting_year
    left join stated
        on years.reporting_year = stated.reporting_year

)

select * from final
