-- The metric catalog (ingest/reports/report_metrics.yml) as a dimension; the seed is
-- generated from the YAML by scripts/generate_metrics_seed.py.
with

metrics as (

    select * from {{ ref('metrics') }}

),

known as (

    select
        metric_id,
        metric_section,
        metric_unit,
        coalesce(qualifier_keys, '') as qualifier_keys,
        coalesce(kind_codes, '') as kind_codes,
        vietnamese_phrase,
        vietnamese_phrase_ascii,
        metric_note,
        label_vi,
        label_en,
        metric_unit = 'percent' as is_percent,
        metric_unit = 'count' as is_count,
        false as is_unknown
    from metrics

),

unknown_member as (

    select
        'unknown' as metric_id,
        'unknown' as metric_section,
        'unknown' as metric_unit,
        '' as qualifier_keys,
        '' as kind_codes,
        cast(null as {{ dbt.type_string() }}) as vietnamese_phrase,
        cast(null as {{ dbt.type_string() }}) as vietnamese_phrase_ascii,
        'a figure whose metric code is not in the catalog' as metric_note,
        'Chỉ tiêu không có trong danh mục' as label_vi,
        'Metric not in the catalog' as label_en,
        false as is_percent,
        false as is_count,
        true as is_unknown

),

final as (

    select * from known
    union all
    select * from unknown_member

)

select * from final
