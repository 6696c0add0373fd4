-- The units reports name in a unit qualifier: a department ("So Ke hoach va Dau tu")
-- or a district-level locality ("Cam Ranh", meaning its People's Committee), written
-- without diacritics, resolved to the agency they name.
with

figures as (

    select * from {{ ref('stg_reports__figures') }}

),

agencies as (

    select * from {{ ref('dim_agencies') }}
    where
        not is_unknown
        and is_latest_version

),

unit_names as (

    select distinct unit_name
    from figures
    where unit_name is not null

),

named_agencies as (

    select
        agency_id,
        agency_name_ascii as unit_name,
        1 as match_priority
    from agencies
    where agency_kind = 'department'
    union all
    select
        agency_id,
        district_name_ascii as unit_name,
        2 as match_priority
    from agencies
    where agency_kind = 'district_committee'

),

ranked_matches as (

    select
        unit_name,
        agency_id,
        row_number() over (partition by unit_name order by match_priority, agency_id) as match_rank
    from named_agencies

),

known as (

    select
        unit_names.unit_name,
        coalesce(ranked_matches.agency_id, 'unknown') as agency_id,
        ranked_matches.agency_id is not null as is_matched,
        false as is_unknown
    from unit_names
    left join ranked_matches
        on
            unit_names.unit_name = ranked_matches.unit_name
            and ranked_matches.match_rank = 1

),

unknown_member as (

    select
        'unknown' as unit_name,
        'unknown' as agency_id,
        false as is_matched,
        true as is_unknown

),

final as (

    select * from known
    union all
    select * from unknown_member

)

select * from final
