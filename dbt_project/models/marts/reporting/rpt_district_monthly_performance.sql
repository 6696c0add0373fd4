-- Dossier activity per district-level locality and month: the district committee, its
-- land office branch and its communes, each dossier on the agency version of its date.
-- The district level was abolished on 2025-07-01, so this mart ends with each district's
-- last month in the GSO list (seed administrative_units: valid_to 2025-06-30): a month
-- after it has no district to count for. Province-year and agency (commune) marts go on.
with

activity as (

    select * from {{ ref('fct_dossier_activity') }}

),

agency_versions as (

    select * from {{ ref('dim_agencies') }}
    where district_code is not null

),

districts as (

    select * from {{ ref('administrative_units') }}
    where unit_level = 'district'

),

loaded_months as (

    select * from {{ ref('int_export_months_loaded') }}

),

months as (

    select
        month_start_date,
        max(date_id) as month_end_date,
        count(*) as days_in_month
    from {{ ref('dim_dates') }}
    where not is_unknown
    group by month_start_date

),

agency_months as (

    select
        agency_versions.district_code,
        activity.agency_id,
        {{ month_key('activity.activity_date') }} as month_date,
        {{ sum_activity_measures(prefix='activity.') }}
    from activity
    inner join agency_versions
        on activity.agency_key = agency_versions.agency_key
    group by
        agency_versions.district_code,
        activity.agency_id,
        {{ month_key('activity.activity_date') }}

),

-- the district version in force on the month's first day
district_months as (

    select
        agency_months.*,
        districts.unit_name as district_name,
        districts.unit_name_ascii as district_name_ascii,
        districts.unit_type as district_type,
        districts.parent_code as province_code,
        districts.valid_to as district_valid_to_date,
        months.month_end_date,
        months.days_in_month,
        loaded_months.agency_id is not null as is_export_loaded
    from agency_months
    inner join months
        on agency_months.month_date = months.month_start_date
    inner join districts
        on
            agency_months.district_code = districts.unit_code
            and {{ is_valid_on('districts', 'agency_months.month_date') }}
    left join loaded_months
        on
            agency_months.agency_id = loaded_months.agency_id
            and agency_months.month_date = loaded_months.month_start_date

),

final as (

    select
        district_code || '-' || {{ date_text('month_date') }} as district_month_id,
        district_code,
        district_name,
        district_name_ascii,
        district_type,
        province_code,
        month_date,
        district_valid_to_date,
        coalesce(district_valid_to_date <= month_end_date, false) as is_last_month_of_district,
        count(*) as agencies_active,
        sum(case when is_export_loaded then 1 else 0 end) as agencies_with_export_loaded,
        {{ coverage_columns(
            'case when min(case when is_export_loaded then 1 else 0 end) = 1 '
            ~ 'then max(days_in_month) else 0 end',
            'max(days_in_month)',
        ) }},
        {{ sum_activity_measures() }}
    from district_months
    group by
        district_code,
        district_name,
        district_name_ascii,
        district_type,
        province_code,
        month_date,
        month_end_date,
        district_valid_to_date

)

select * from final
