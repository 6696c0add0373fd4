-- Type 2 history from the reference data's own validity dates: each row of the
-- agencies seed is one version of an agency (business time, not load time). A merged,
-- renamed or dissolved unit keeps its versions, so old dossiers stay on the agency as
-- it was when they were received. Province, district and commune names come from the
-- GSO list (seed administrative_units) with their diacritics, so nothing downstream
-- has to guess them from agency names.
with

agencies as (

    select * from {{ ref('agencies') }}

),

units as (

    select * from {{ ref('administrative_units') }}

),

provinces as (

    select * from units
    where unit_level = 'province'

),

districts as (

    select * from units
    where unit_level = 'district'

),

-- A commune committee is named after the unit version valid when the committee began.
communes as (

    select
        agencies.agency_code,
        agencies.valid_from,
        units.unit_code as commune_code,
        units.unit_name as commune_name,
        units.unit_name_ascii as commune_name_ascii,
        units.unit_type as commune_type
    from agencies
    inner join units
        on
            agencies.gso_code = units.unit_code
            and units.unit_level = 'commune'
            and {{ is_valid_on('units', 'agencies.valid_from') }}
    where agencies.level = 'commune'

),

versions as (

    select
        agencies.agency_code || '@' || {{ date_text('agencies.valid_from') }} as agency_key,
        agencies.agency_code as agency_id,
        agencies.agency_code,
        agencies.agency_name,
        {{ strip_vietnamese_diacritics('agencies.agency_name') }} as agency_name_ascii,
        agencies.level as agency_level,
        agencies.kind as agency_kind,
        provinces.unit_code as province_code,
        coalesce(provinces.unit_name, agencies.province) as province_name,
        agencies.province as province_name_ascii,
        districts.unit_code as district_code,
        coalesce(districts.unit_name, agencies.district) as district_name,
        agencies.district as district_name_ascii,
        districts.unit_type as district_type,
        communes.commune_code,
        communes.commune_name,
        communes.commune_name_ascii,
        communes.commune_type,
        agencies.valid_from as valid_from_date,
        agencies.valid_to as valid_to_date,
        agencies.successor_code as successor_agency_id,
        row_number() over (
            partition by agencies.agency_code
            order by agencies.valid_from desc
        ) = 1 as is_latest_version,
        false as is_unknown
    from agencies
    -- A province or district has several versions (the 2025 reorganisation): the one
    -- valid when the agency version began.
    left join provinces
        on
            agencies.province = provinces.unit_name_ascii
            and {{ is_valid_on('provinces', 'agencies.valid_from') }}
    left join districts
        on
            agencies.district = districts.unit_name_ascii
            and provinces.unit_code = districts.parent_code
            and {{ is_valid_on('districts', 'agencies.valid_from') }}
    left join communes
        on
            agencies.agency_code = communes.agency_code
            and agencies.valid_from = communes.valid_from

),

known as (

    select
        agency_key,
        agency_id,
        agency_code,
        agency_name,
        agency_name_ascii,
        agency_level,
        agency_kind,
        province_code,
        province_name,
        province_name_ascii,
        district_code,
        district_name,
        district_name_ascii,
        district_type,
        commune_code,
        commune_name,
        commune_name_ascii,
        commune_type,
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
        'Khong xac dinh' as agency_name_ascii,
        'unknown' as agency_level,
        'unknown' as agency_kind,
        cast(null as {{ dbt.type_string() }}) as province_code,
        cast(null as {{ dbt.type_string() }}) as province_name,
        cast(null as {{ dbt.type_string() }}) as province_name_ascii,
        cast(null as {{ dbt.type_string() }}) as district_code,
        cast(null as {{ dbt.type_string() }}) as district_name,
        cast(null as {{ dbt.type_string() }}) as district_name_ascii,
        cast(null as {{ dbt.type_string() }}) as district_type,
        cast(null as {{ dbt.type_string() }}) as commune_code,
        cast(null as {{ dbt.type_string() }}) as commune_name,
        cast(null as {{ dbt.type_string() }}) as commune_name_ascii,
        cast(null as {{ dbt.type_string() }}) as commune_type,
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
