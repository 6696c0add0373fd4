with

source as (

    select * from {{ source('reports', 'report_changes') }}

),

renamed as (

    select
        report_id || '-' || cast(change_seq as {{ dbt.type_string() }}) as change_id,
        report_id,
        change_seq,
        metric as metric_code,
        qualifiers as qualifiers_json,
        value as figure_value,
        delta as change_delta,
        ratio as change_ratio,
        ratio_bound,
        line as source_line,
        source_text
    from source

)

select * from renamed
