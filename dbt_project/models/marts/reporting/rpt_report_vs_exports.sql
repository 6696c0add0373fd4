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

exports_scale as (

    -- Exports declared at a scale other than 1 (generated samples): counts are not the
    -- report's counts, rates are estimates with a sampling error.
    select min(sample_fraction) as sample_fraction
    from {{ ref('stg_exports__load_manifest') }}
    where source_kind <> 'report'

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
        comparable_figures.printed_decimals,
        exports_scale.sample_fraction as exports_sample_fraction,
        cast(recomputed.exports_numerator as bigint) as exports_numerator,
        cast(recomputed.exports_denominator as bigint) as exports_denominator,
        recomputed.exports_value,
        recomputed.tolerance_relative,
        recomputed.tolerance_absolute,
        comparable_figures.source_line
    from comparable_figures
    inner join recomputed
        on
            comparable_figures.report_id = recomputed.report_id
            and comparable_figures.metric_id = recomputed.metric_id
    cross join exports_scale
    left join period_coverage
        on recomputed.report_id = period_coverage.report_id

),

toleranced as (

    -- A rate agrees when it agrees at the precision the report printed it ("2%" is 1.5-2.5)
    -- or within the metric's own tolerance, whichever is wider; computed from a sample,
    -- the rate also carries its sampling error (99% two-sided: 2.576 standard errors).
    select
        *,
        case
            when figure_unit = 'percent'
                then
                    greatest(
                        coalesce(tolerance_absolute, 0),
                        0.5 * power(10, -coalesce(printed_decimals, 0))
                    )
                    + case
                        when exports_sample_fraction is not null and exports_denominator > 0
                            then 2.576 * 100 * sqrt(
                                (exports_value / 100) * (1 - exports_value / 100) / exports_denominator
                            )
                        else 0
                    end
            else coalesce(abs(report_value) * tolerance_relative, tolerance_absolute)
        end as tolerance,
        case
            when exports_value is null then 'not compared: the exports hold no dossiers for the period'
            when figure_unit <> 'percent' and exports_sample_fraction is not null
                then
                    'not compared: the exports are declared a sample (scale '
                    || cast(exports_sample_fraction as {{ dbt.type_string() }})
                    || '), so their counts are not the report''s'
            when figure_unit <> 'percent' and not is_complete
                then
                    'not compared: the exports cover ' || cast(days_covered as {{ dbt.type_string() }}) || ' of the '
                    || cast(days_in_period as {{ dbt.type_string() }}) || ' days of the report''s period'
            else 'compared'
        end as comparison_status
    from compared

),

final as (

    select
        figure_id,
        report_id,
        province_name,
        province_name_ascii,
        report_year,
        period_start_date,
        period_end_date,
        days_covered,
        days_in_period,
        coverage_ratio,
        is_complete,
        exports_first_received_date,
        exports_last_received_date,
        metric_id,
        figure_unit,
        report_value,
        exports_numerator,
        exports_denominator,
        exports_value,
        tolerance,
        source_line,
        exports_value - report_value as difference,
        case
            when comparison_status = 'compared' then abs(exports_value - report_value) <= tolerance + 1e-9
        end as is_within_tolerance,
        printed_decimals,
        exports_sample_fraction,
        comparison_status = 'compared' as is_compared,
        comparison_status
    from toleranced

)

select * from final
