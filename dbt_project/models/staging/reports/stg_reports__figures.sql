with

source as (

    select * from {{ source('reports', 'report_figures') }}

),

renamed as (

    select
        report_id || '-' || cast(figure_seq as {{ dbt.type_string() }}) as figure_id,
        report_id,
        figure_seq,
        metric as metric_code,
        value as figure_value,
        value_text as figure_text_value,
        unit as figure_unit,
        qualifiers as qualifiers_json,
        q_level as level_code,
        q_sector as sector_code,
        q_scope as scope_code,
        q_unit as unit_name,
        q_service_level as service_level,
        q_group as group_code,
        q_rating as rating_code,
        q_kind as kind_code,
        q_period as period_code,
        q_province as about_province_name,
        q_ministry as ministry_name,
        q_stat as stat_code,
        denominator as figure_denominator,
        decimals as printed_decimals,
        line as source_line,
        source_text
    from source

)

select * from renamed
