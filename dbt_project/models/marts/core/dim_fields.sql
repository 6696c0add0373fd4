with

fields as (

    select * from {{ ref('fields') }}

),

known as (

    select
        field_code as field_id,
        field_code,
        field_name,
        false as is_unknown
    from fields

),

unknown_member as (

    select
        'unknown' as field_id,
        cast(null as {{ dbt.type_string() }}) as field_code,
        'Không xác định' as field_name,
        true as is_unknown

),

final as (

    select * from known
    union all
    select * from unknown_member

)

select * from final
