-- The ten district-level localities with the highest late rate in reporting year $year,
-- every agency located in the district counted (names as published, from dim_agencies).
-- Each dossier on the agency version of its day, and only up to the district's last day
-- (the district mart's district_valid_to_date): land office branches outlive the
-- districts, whose level ended on 2025-06-30.
with district_ends as (
    select
        district_code,
        max(district_valid_to_date) as district_end_date
    from marts.rpt_district_monthly_performance
    group by district_code
),

activity as (
    select activity.*
    from marts.fct_dossier_activity as activity
    inner join marts.dim_dates as dates on activity.activity_date = dates.date_id
    where dates.reporting_year = $year
),

per_district as (
    select
        agencies.district_name,
        count(distinct agencies.agency_id) as agencies,
        sum(activity.dossiers_resolved) as dossiers_resolved,
        sum(activity.dossiers_late) as dossiers_late,
        {rate:dossiers_late_pct} as late_rate
    from activity
    inner join marts.dim_agencies as agencies
        on activity.agency_key = agencies.agency_key
    inner join district_ends
        on agencies.district_code = district_ends.district_code
    where
        agencies.district_name is not null
        and (district_ends.district_end_date is null or activity.activity_date <= district_ends.district_end_date)
    group by agencies.district_name
)

select
    district_name as district_label,
    agencies,
    dossiers_resolved,
    dossiers_late,
    late_rate
from per_district
where dossiers_resolved > 0
order by late_rate desc, dossiers_late desc
limit 10
