-- Type 2 history from the reference data's own validity dates: each row of the
-- agencies seed is one version of an agency (business time, not load time). A merged,
-- renamed or dissolved unit keeps its versions, so old dossiers stay on the agency as
-- it was when they were received.
with

agencies as (

    select * from {{ ref('agencies') }}

),

versions as (

    select
        agency_code || '@' || {{ date_text('valid_from') }} as agency_key,
        agency_code as agency_id,
        agency_code,
        agency_name,
        level as agency_level,
        kind as agency_kind,
        province as province_name,
        district as district_name,
        valid_from as valid_from_date,
        valid_to as valid_to_date,
        successor_code as successor_agency_id,
        row_number() over (
            partition by agency_code
            order by valid_from desc
        ) = 1 as is_latest_version,
        false as is_unknown
    from agencies

),

known as (

    select
        agency_key,
        agency_id,
        agency_code,
        agency_name,
        agency_level,
        agency_kind,
        province_name,
        district_name,
        valid_from_date,
        valid_to_date,
        successor_agency_id,
        valid_to_date is null as is_current,
        is_latest_version,
        is_unknown
    from versions

),

unknown_member as (

    select
        'unknown' as agency_key,
        'unknown' as agency_id,
        cast(null as {{ dbt.type_string() }}) as agency_code,
        'Không xác định' as agency_name,
        'unknown' as agency_level,
        'unknown' as agency_kind,
        cast(null as {{ dbt.type_string() }}) as province_name,
        cast(null as {{ dbt.type_string() }}) as district_name,
        cast(null as date) as valid_from_date,
        cast(null as date) as valid_to_date,
        cast(null as {{ dbt.type_string() }}) as successor_agency_id,
        true as is_current,
        true as is_latest_version,
        true as is_unknown

),

final as (

    select * from known
    union all
    select * from unknown_member

)

select * from final
