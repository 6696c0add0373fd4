-- Reported figures on the provinces of today (the 34 since 2025-07-01): per current
-- province, report year and metric, the sum of what the provinces it was formed from
-- reported. Only counts add up across provinces (rates, ranks, scores and amounts in
-- other units never appear), and only whole-province figures (is_headline_figure: no
-- breakdown by level, sector, unit, period, ...), so like is summed with like. A sum
-- that misses a former province is published with is_complete false: it is a lower
-- bound, not the province's total. A report of the whole current province (its own from
-- 2025-07-01, or one the reorganisation did not merge) is taken as is, and in a year
-- that has one, the former provinces' figures are not added to it.
with

figures as (

    select * from {{ ref('fct_report_figures') }}
    where
        is_headline_figure
        and figure_value is not null
        and current_province_code is not null

),

metrics as (

    select * from {{ ref('dim_metrics') }}
    where is_count

),

province_versions as (

    select * from {{ ref('int_province_lineage') }}

),

-- The provinces merged into each current province (none for one left whole).
former_provinces as (

    select
        current_province_code,
        count(distinct province_code) as former_provinces_expected
    from province_versions
    where not is_whole_current_province
    group by current_province_code

),

-- One value per issuing province: a report may state a headline figure twice (summary
-- and body); they agree or the consistency checks say so.
per_province as (

    select
        figures.current_province_code,
        figures.current_province_name,
        figures.current_province_name_ascii,
        figures.report_year,
        figures.metric_id,
        figures.province_code,
        figures.is_whole_current_province,
        max(figures.figure_value) as figure_value
    from figures
    inner join metrics
        on figures.metric_id = metrics.metric_id
    group by
        figures.current_province_code,
        figures.current_province_name,
        figures.current_province_name_ascii,
        figures.report_year,
        figures.metric_id,
        figures.province_code,
        figures.is_whole_current_province

),

whole_reports as (

    select
        *,
        max(case when is_whole_current_province then 1 else 0 end) over (
            partition by current_province_code, report_year, metric_id
        ) = 1 as has_whole_report
    from per_province

),

summed as (

    select
        current_province_code,
        current_province_name,
        current_province_name_ascii,
        report_year,
        metric_id,
        not has_whole_report as is_mapped,
        sum(figure_value) as figure_value,
        count(*) as former_provinces_reported,
        {{ sorted_listagg('province_code') }} as former_province_codes
    from whole_reports
    where is_whole_current_province or not has_whole_report
    group by
        current_province_code,
        current_province_name,
        current_province_name_ascii,
        report_year,
        metric_id,
        has_whole_report

),

final as (

    select
        summed.current_province_code || '-' || cast(summed.report_year as {{ dbt.type_string() }})
        || '-' || summed.metric_id as current_province_year_figure_id,
        summed.current_province_code,
        summed.current_province_name,
        summed.current_province_name_ascii,
        summed.report_year,
        summed.metric_id,
        summed.figure_value,
        case
            when summed.is_mapped then coalesce(former_provinces.former_provinces_expected, 0)
            else 1
        end as former_provinces_expected,
        summed.former_provinces_reported,
        summed.former_province_codes,
        summed.is_mapped,
        summed.former_provinces_reported
        = case
            when summed.is_mapped then coalesce(former_provinces.former_provinces_expected, 0)
            else 1
        end as is_complete
    from summed
    left join former_provinces
        on summed.current_province_code = former_provinces.current_province_code

)

select * from final
