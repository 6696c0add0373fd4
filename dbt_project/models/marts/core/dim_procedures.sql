with

procedures as (

    select * from {{ ref('procedures') }}

),

fields as (

    select * from {{ ref('dim_fields') }}

),

known as (

    select
        procedures.procedure_code as procedure_id,
        procedures.procedure_code,
        procedures.procedure_name,
        coalesce(fields.field_id, 'unknown') as field_id,
        coalesce(fields.field_name, 'Không xác định') as field_name,
        procedures.level as procedure_level,
        procedures.service_level,
        coalesce(procedures.service_level in (3, 4), false) as is_online_enabled,
        coalesce(procedures.service_level = 4, false) as is_fully_online,
        coalesce(procedures.is_online_payment_enabled, false) as is_online_payment_enabled,
        coalesce(procedures.is_postal_enabled, false) as is_postal_enabled,
        false as is_unknown
    from procedures
    left join fields
        on
            procedures.field_code = fields.field_code
            and not fields.is_unknown

),

unknown_member as (

    select
        'unknown' as procedure_id,
        cast(null as {{ dbt.type_string() }}) as procedure_code,
        'Không xác định' as procedure_name,
        'unknown' as field_id,
        'Không xác định' as field_name,
        'unknown' as procedure_level,
        cast(null as integer) as service_level,
        false as is_online_enabled,
        false as is_fully_online,
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
