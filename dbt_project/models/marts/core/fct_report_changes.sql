-- One row per change statement of a report; province_name as the GSO publishes it
-- (int_province_names_resolved), its ASCII form in province_name_ascii.
with

changes as (

    select * from {{ ref('stg_reports__changes') }}

),

documents as (

    select * from {{ ref('stg_reports__documents') }}

),

province_names as (

    select * from {{ ref('int_province_names_resolved') }}

),

final as (

    select
        changes.change_id,
        changes.report_id,
        coalesce(province_names.province_name, documents.province_name) as province_name,
        documents.report_year,
        changes.metric_code as metric_id,
        changes.qualifiers_json,
        changes.figure_value,
        changes.change_delta,
        changes.figure_value - changes.change_delta as implied_previous_value,
        changes.change_ratio,
        changes.ratio_bound,
        changes.source_line,
        changes.source_text,
        documents.province_name as province_name_ascii
    from changes
    inner join documents
        on changes.report_id = documents.report_id
    left join province_names
        on documents.province_name = province_names.province_name_ascii

)

select * from final
