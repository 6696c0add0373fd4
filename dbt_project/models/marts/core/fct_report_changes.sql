with

changes as (

    select * from {{ ref('stg_reports__changes') }}

),

documents as (

    select * from {{ ref('stg_reports__documents') }}

),

final as (

    select
        changes.change_id,
        changes.report_id,
        documents.province_name,
        documents.report_year,
        changes.metric_code as metric_id,
        changes.qualifiers_json,
        changes.figure_value,
        changes.change_delta,
        changes.figure_value - changes.change_delta as implied_previous_value,
        changes.change_ratio,
        changes.ratio_bound,
        changes.source_line,
        changes.source_text
    from changes
    inner join documents
        on changes.report_id = documents.report_id

)

select * from final
