-- Every defined metric (ingest/metric_definitions.yml, seed metric_definitions) per
-- reporting year of the province, from the scorecard's counts: numerator, denominator,
-- the value (a count, or a percentage of the two), and what the report states for it.
-- Charts and tiles read values here instead of deriving rates themselves. The province
-- as it was in the year (province_code) and the one it is part of since the 2025
-- reorganisation (current_province_*) come from int_province_lineage.
with

scorecard as (

    select * from {{ ref('rpt_province_year_scorecard') }}

),

definitions as (

    select * from {{ ref('metric_definitions') }}
    where exports_numerator is not null

),

figures as (

    select * from {{ ref('fct_report_figures') }}
    where
        is_headline_figure
        and province_name_ascii = '{{ var("province_name") }}'

),

province_versions as (

    select * from {{ ref('int_province_lineage') }}

),

measures as (
    {{ unpivot_measures('scorecard', ['reporting_year'],
                        (var('activity_measures') | list) + var('catalog_measures')) }}
),

stated as (

    select
        report_year as reporting_year,
        metric_id,
        max(figure_value) as report_value
    from figures
    group by report_year, metric_id

),

final as (

    select
        scorecard.province_year_id || '-' || definitions.metric_id as province_year_metric_id,
        scorecard.province_name,
        scorecard.province_name_ascii,
        province_versions.province_code,
        province_versions.current_province_code,
        province_versions.current_province_name,
        province_versions.current_province_name_ascii,
        scorecard.reporting_year,
        scorecard.period_start_date,
        scorecard.period_end_date,
        scorecard.days_covered,
        scorecard.days_in_period,
        scorecard.coverage_ratio,
        scorecard.is_complete,
        definitions.metric_id,
        definitions.label_vi,
        definitions.label_en,
        definitions.metric_unit,
        definitions.rounding_digits,
        numerators.measure_value as numerator,
        denominators.measure_value as denominator,
        {{ metric_value('numerators.measure_value', 'denominators.measure_value',
                        'definitions.exports_denominator') }} as metric_value,
        stated.report_value
    from scorecard
    cross join definitions
    {{ join_definition_measures('scorecard', 'reporting_year') }}
    left join province_versions
        on
            scorecard.province_name_ascii = province_versions.province_name_ascii
            and scorecard.reporting_year >= coalesce(province_versions.first_report_year, scorecard.reporting_year)
            and scorecard.reporting_year <= coalesce(province_versions.last_report_year, scorecard.reporting_year)
    left join stated
        on
            scorecard.reporting_year = stated.reporting_year
            and definitions.metric_id = stated.metric_id

)

select * from final
