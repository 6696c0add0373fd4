-- Every province version (seed provinces) with the current province it became (seed
-- unit_lineage, province rows: the 34 provinces of 2025-07-01 and what each was formed
-- from), and whether it is that whole province (not merged with others: the current
-- province itself, an unchanged or a renamed one). Reports name a province
-- without diacritics and date it by year only, so each version also carries the report
-- years its ASCII name resolves to it: the version valid at the year's end; before a
-- name's first version, that one; after its last version ended (Bến Tre in 2025), that
-- one, the province as it was when it last existed.
with

provinces as (

    select * from {{ ref('provinces') }}

),

lineage as (

    select * from {{ ref('unit_lineage') }}
    where unit_level = 'province'

),

-- How many former provinces each new one was formed from (1: itself alone).
lineage_sized as (

    select
        *,
        count(*) over (partition by unit_code, valid_from) as former_provinces
    from lineage

),

current_provinces as (

    select * from provinces
    where valid_to is null

),

versions as (

    select
        unit_code as province_code,
        unit_name as province_name,
        unit_name_ascii as province_name_ascii,
        unit_type as province_type,
        valid_from,
        valid_to,
        cast(extract(year from valid_from) as integer) as first_valid_year,
        row_number() over (
            partition by unit_name_ascii
            order by coalesce(valid_from, cast('1900-01-01' as date)), unit_code
        ) as name_version_number
    from provinces

),

report_years as (

    select
        *,
        case when name_version_number > 1 then first_valid_year end as first_report_year,
        lead(first_valid_year) over (
            partition by province_name_ascii
            order by name_version_number
        ) - 1 as last_report_year
    from versions

),

-- A version that began before a reorganisation of its code maps through that lineage
-- (the latest); one that began after (Khánh Hòa from 2025-07-01) is the current province
-- itself, as is a later renaming of it (code kept, no lineage).
successors as (

    select
        report_years.province_code,
        report_years.valid_from,
        lineage.unit_code as current_province_code,
        lineage.former_provinces = 1 as is_whole_current_province,
        row_number() over (
            partition by report_years.province_code, report_years.valid_from
            order by lineage.valid_from desc
        ) as lineage_rank
    from report_years
    inner join lineage_sized as lineage
        on
            report_years.province_code = lineage.former_unit_code
            and coalesce(report_years.valid_from, cast('1900-01-01' as date)) < lineage.valid_from

),

final as (

    select
        report_years.province_code,
        report_years.province_name,
        report_years.province_name_ascii,
        report_years.province_type,
        report_years.valid_from,
        report_years.valid_to,
        report_years.first_report_year,
        report_years.last_report_year,
        coalesce(successors.current_province_code, report_years.province_code) as current_province_code,
        current_provinces.unit_name as current_province_name,
        current_provinces.unit_name_ascii as current_province_name_ascii,
        coalesce(successors.is_whole_current_province, true) as is_whole_current_province
    from report_years
    left join successors
        on
            report_years.province_code = successors.province_code
            and coalesce(report_years.valid_from, cast('1900-01-01' as date))
            = coalesce(successors.valid_from, cast('1900-01-01' as date))
            and successors.lineage_rank = 1
    left join current_provinces
        on coalesce(successors.current_province_code, report_years.province_code) = current_provinces.unit_code

)

select * from final
