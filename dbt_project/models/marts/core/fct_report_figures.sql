-- Qualifiers as dimension keys: metric_id (dim_metrics) and unit_name (dim_report_units,
-- which resolves the name to an agency).
-- Qualifiers without a dimension of their own (level, sector, scope, kind, period, ...)
-- stay as codes with their vocabularies tested. province_name is the province that
-- issued the report as it was in the report year (province_code), current_province_* the
-- province it is part of since the 2025 reorganisation (int_province_lineage);
-- about_province_name is another province a figure is about (a
-- ranking or a comparison: "Quang Ninh dat 91,04%"), null for the report's own figures;
-- both as the GSO publishes them ("Quảng Ninh", int_province_names_resolved; the report's
-- own spelling when the name is not a province), their ASCII forms in *_ascii.
-- is_headline_figure marks the figure for the report's whole scope, the one scorecards
-- show and reconciliation compares: local scope (the exports cover no vertical agency),
-- no breakdown by level, sector, unit, service level, group, rating or period, the
-- whole kind ("all", or none), about the reporting province itself.
with

figures as (

    select * from {{ ref('stg_reports__figures') }}

),

documents as (

    select * from {{ ref('stg_reports__documents') }}

),

province_names as (

    select * from {{ ref('int_province_names_resolved') }}

),

province_versions as (

    select * from {{ ref('int_province_lineage') }}

),

final as (

    select
        figures.figure_id,
        figures.report_id,
        coalesce(issuing_provinces.province_name, documents.province_name) as province_name,
        issuing_provinces.province_code,
        documents.report_year,
        figures.metric_code as metric_id,
        figures.figure_value,
        figures.figure_text_value,
        figures.figure_denominator,
        figures.printed_decimals,
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
        coalesce(about_provinces.province_name, figures.about_province_name) as about_province_name,
        figures.ministry_name,
        figures.stat_code,
        figures.qualifiers_json,
        figures.source_line,
        figures.source_text,
        coalesce(figures.scope_code, 'local') = 'local'
        and figures.level_code is null
        and figures.sector_code is null
        and figures.unit_name is null
        and figures.service_level is null
        and figures.group_code is null
        and figures.rating_code is null
        and coalesce(figures.kind_code, 'all') = 'all'
        and figures.period_code is null
        and figures.about_province_name is null
        and figures.ministry_name is null
        and figures.stat_code is null as is_headline_figure,
        documents.province_name as province_name_ascii,
        figures.about_province_name as about_province_name_ascii,
        issuing_provinces.current_province_code,
        issuing_provinces.current_province_name,
        issuing_provinces.current_province_name_ascii,
        coalesce(issuing_provinces.is_whole_current_province, false) as is_whole_current_province
    from figures
    inner join documents
        on figures.report_id = documents.report_id
    left join province_versions as issuing_provinces
        on
            documents.province_name = issuing_provinces.province_name_ascii
            and documents.report_year >= coalesce(issuing_provinces.first_report_year, documents.report_year)
            and documents.report_year <= coalesce(issuing_provinces.last_report_year, documents.report_year)
    left join province_names as about_provinces
        on figures.about_province_name = about_provinces.province_name_ascii

)

select * from final
