with

source as (

    select * from {{ source('reports', 'report_mentions') }}

),

renamed as (

    select
        report_id || '-' || cast(mention_seq as {{ dbt.type_string() }}) as mention_id,
        report_id,
        mention_seq,
        value as mention_value,
        unit as mention_unit,
        raw_text,
        line as source_line,
        sentence,
        section,
        metric as metric_code,
        metric is not null as is_mapped
    from source

)

select * from renamed
