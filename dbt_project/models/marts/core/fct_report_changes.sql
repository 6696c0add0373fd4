-- One row per change statement of a report; province_name as the GSO publishes it, the
-- province as it was in the report year (province_code), current_province_* the province
-- it is part of since the 2025 reorganisation (int_province_lineage); ASCII forms in
-- *_ascii.
with

changes as (

    select * from {{ ref('stg_reports__changes') }}

),

documents as (

    select * from {{ ref('stg_reports__documents') }}

),

province_versions as (

    select * from {{ ref('int_province_lineage') }}

),

final as (

    select
        changes.change_id,
        changes.report_id,
        coalesce(province_versions.province_name, documents.province_name) as province_name,
        province_versions.province_code,
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
        documents.province_name as province_name_ascii,
        province_versions.current_province_code,
        province_versions.current_province_name,
        province_versions.current_province_name_ascii
    from changes
    inner join documents
        on changes.report_id = documents.report_id
    left join province_versions
        on
            documents.province_name = province_versions.province_name_ascii
            and documents.report_year >= coalesce(province_versions.first_report_year, documents.report_year)
            and documents.report_year <= coalesce(province_versions.last_report_year, documents.report_year)

)

select * from final
