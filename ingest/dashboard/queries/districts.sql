-- The ten district-level localities with the highest late rate, every agency located in
-- the district counted (names as published, from dim_agencies).
with per_district as (
    select
        district_name,
        count(distinct agency_id) as agencies,
        sum(dossiers_resolved) as dossiers_resolved,
        sum(dossiers_late) as dossiers_late,
        {rate:dossiers_late_pct} as late_rate
    from marts.rpt_agency_monthly_performance
    where district_name is not null
    group by district_name
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
