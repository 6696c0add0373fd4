-- Province names as reports write them (ASCII, the extraction vocabulary's spelling,
-- "Khanh Hoa") resolved to the name the GSO publishes ("Khánh Hòa"), from the seed
-- provinces (scripts/generate_units_seed.py): the latest version of each ASCII name.
with

provinces as (

    select * from {{ ref('provinces') }}

),

ranked as (

    select
        unit_name_ascii,
        unit_name,
        unit_code,
        row_number() over (
            partition by unit_name_ascii
            order by coalesce(valid_to, cast('9999-12-31' as date)) desc, unit_code
        ) as version_rank
    from provinces

),

final as (

    select
        unit_name_ascii as province_name_ascii,
        unit_name as province_name,
        unit_code as province_code
    from ranked
    where version_rank = 1

)

select * from final
