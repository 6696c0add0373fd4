with

procedures as (

    select * from {{ ref('procedures') }}

),

fields as (

    select * from {{ ref('fields') }}

),

known as (

    select
        procedures.procedure_code as procedure_id,
        procedures.procedure_code,
        procedures.procedure_name,
        procedures.field_code as field_id,
        fields.field_name,
        procedures.level as procedure_level,
        procedures.service_level,
        procedures.service_level in (3, 4) as is_online_enabled,
        procedures.is_online_payment_enabled,
        procedures.is_postal_enabled,
        false as is_unknown
    from procedures
    left join fields
        on procedures.field_code = fields.field_code

),

unknown_member as (

    select
        'unknown' as procedure_id,
        cast(null as varchar) as procedure_code,
        'Không xác định' as procedure_name,
        cast(null as varchar) as field_id,
        cast(null as varchar) as field_name,
        'unknown' as procedure_level,
        cast(null as integer) as service_level,
        false as is_online_enabled,
        false as is_online_payment_enabled,
        false as is_postal_enabled,
        true as is_unknown

),

final as (

    select * from known
    union all
    select * from unknown_member

)

select * from final
