-- The ten district-level localities with the highest late rate in reporting year $year,
-- every agency located in the district counted (names as published, from dim_agencies).
with activity as (
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
        on activity.agency_id = agencies.agency_id and agencies.is_latest_version
    where agencies.district_name is not null
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
