with

agencies as (

    select * from {{ ref('agencies') }}

),

known as (

    select
        agency_code as agency_id,
        agency_code,
        agency_name,
        level as agency_level,
        kind as agency_kind,
        district as district_name,
        valid_from as valid_from_date,
        valid_to as valid_to_date,
        successor_code as successor_agency_id,
        false as is_unknown
    from agencies

),

unknown_member as (

    select
        'unknown' as agency_id,
        cast(null as varchar) as agency_code,
        'Không xác định' as agency_name,
        'unknown' as agency_level,
        'unknown' as agency_kind,
        cast(null as varchar) as district_name,
        cast(null as date) as valid_from_date,
        cast(null as date) as valid_to_date,
        cast(null as varchar) as successor_agency_id,
        true as is_unknown

),

final as (

    select * from known
    union all
    select * from unknown_member

)

select * from final
