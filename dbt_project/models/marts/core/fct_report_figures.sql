with

figures as (

    select * from {{ ref('stg_reports__figures') }}

),

documents as (

    select * from {{ ref('stg_reports__documents') }}

),

final as (

    select
        figures.figure_id,
        figures.report_id,
        documents.province_name,
        documents.report_year,
        figures.metric_code as metric_id,
        figures.figure_value,
        figures.figure_text_value,
        figures.figure_denominator,
        figures.figure_unit,
        figures.level_code,
        figures.sector_code,
        figures.scope_code,
        figures.unit_name,
        figures.service_level,
        figures.group_code,
        figures.rating_code,
        figures.kind_code,
        figures.period_code,
        figures.qualifiers_json,
        figures.source_line,
        figures.source_text
    from figures
    inner join documents
        on figures.report_id = documents.report_id

)

select * from final
