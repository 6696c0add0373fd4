-- Each report figure that the dossier exports can recompute (a reconciled metric of
-- ingest/metric_definitions.yml, seed metric_definitions), with both values and the
-- metric's tolerance. Period: the bounds the report states, else the province's
-- reporting year of the report (dim_dates, cut-off var reporting_year_start). Scope:
-- the report's headline figures (fct_report_figures.is_headline_figure). Coverage: the
-- days of the period with a loaded export month (macros/coverage.sql); where the period
-- is not complete the exports' sums fall short of the report by construction.
with

figures as (

    select * from {{ ref('fct_report_figures') }}

),

documents as (

    select * from {{ ref('stg_reports__documents') }}

),

activity as (

    select * from {{ ref('fct_dossier_activity') }}

),

definitions as (

    select * from {{ ref('metric_definitions') }}
    where is_reconciled

),

loaded_months as (

    select distinct
        month_start_date,
        month_end_date
    from {{ ref('int_export_months_loaded') }}

),

reporting_years as (

    select * from {{ ref('int_dates_grouped_by_reporting_year') }}

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

period_coverage as (

    select
        report_periods.report_id,
        sum(
            {{ month_days_in_period('loaded_months.month_start_date', 'loaded_months.month_end_date',
                                    'report_periods.period_start_date', 'report_periods.period_end_date') }}
        ) as days_covered
    from report_periods
    inner join loaded_months
        on
            report_periods.period_start_date <= loaded_months.month_end_date
            and report_periods.period_end_date >= loaded_months.month_start_date
    group by report_periods.report_id

),

per_report as (

    select
        report_periods.report_id,
        report_periods.period_start_date,
        report_periods.period_end_date,
        min(case when activity.dossiers_received > 0 then activity.activity_date end) as first_received_date,
        max(case when activity.dossiers_received > 0 then activity.activity_date end) as last_received_date,
        {{- sum_activity_measures('activity.', zero_if_none=true) }}
    from report_periods
    left join activity
        on activity.activity_date between report_periods.period_start_date and report_periods.period_end_date
    group by report_periods.report_id, report_periods.period_start_date, report_periods.period_end_date

),

measures as (
    {{ unpivot_measures('per_report', ['report_id'], var('activity_measures') | list) }}
),

recomputed as (

    select
        per_report.report_id,
        per_report.period_start_date,
        per_report.period_end_date,
        per_report.first_received_date,
        per_report.last_received_date,
        definitions.metric_id,
        definitions.tolerance_relative,
        definitions.tolerance_absolute,
        numerators.measure_value as exports_numerator,
        denominators.measure_value as exports_denominator,
        {{ metric_value('numerators.measure_value', 'denominators.measure_value',
                        'definitions.exports_denominator', 'definitions.rounding_digits') }} as exports_value
    from per_report
    cross join definitions
    {{ join_definition_measures('per_report', 'report_id') }}

),

comparable_figures as (

    select * from figures
    where is_headline_figure

),

compared as (

    select
        comparable_figures.figure_id,
        comparable_figures.report_id,
        comparable_figures.province_name,
        comparable_figures.province_name_ascii,
        comparable_figures.report_year,
        recomputed.period_start_date,
        recomputed.period_end_date,
        {{ coverage_columns('period_coverage.days_covered',
                            days_in_period('recomputed.period_start_date', 'recomputed.period_end_date')) }},
        recomputed.first_received_date as exports_first_received_date,
        recomputed.last_received_date as exports_last_received_date,
        comparable_figures.metric_id,
        comparable_figures.figure_unit,
        comparable_figures.figure_value as report_value,
        cast(recomputed.exports_numerator as bigint) as exports_numerator,
        cast(recomputed.exports_denominator as bigint) as exports_denominator,
        recomputed.exports_value,
        coalesce(
            abs(comparable_figures.figure_value) * recomputed.tolerance_relative,
            recomputed.tolerance_absolute
        ) as tolerance,
        comparable_figures.source_line
    from comparable_figures
    inner join recomputed
        on
            comparable_figures.report_id = recomputed.report_id
            and comparable_figures.metric_id = recomputed.metric_id
    left join period_coverage
        on recomputed.report_id = period_coverage.report_id

),

final as (

    select
        *,
        exports_value - report_value as difference,
        coalesce(abs(exports_value - report_value) <= tolerance + 1e-9, false) as is_within_tolerance
    from compared

)

select * from final
