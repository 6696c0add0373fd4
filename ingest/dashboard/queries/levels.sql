-- Dossiers received per calendar month of the loaded exports, by the level of the agency
-- of the time (its dim_agencies version on the day). Calendar months, not reporting
-- months: the reform took effect on the 1st, so no month straddles it. After the district
-- level's last day (the district mart's) no agency is district-level: district-level
-- units still exporting (land office branches) count with the province.
with level_end as (
    select max(district_valid_to_date) as end_date
    from marts.rpt_district_monthly_performance
),

loaded_months as (
    select month_date
    from marts.rpt_agency_monthly_performance
    group by month_date
    having sum(dossiers_received) > 0
),

activity as (
    select
        dates.month_start_date as month_date,
        case
            when agencies.agency_level = 'district' and activity.activity_date > level_end.end_date
                then 'province'
            else agencies.agency_level
        end as agency_level,
        agencies.agency_kind,
        activity.agency_id,
        activity.dossiers_received
    from marts.fct_dossier_activity as activity
    inner join marts.dim_dates as dates on activity.activity_date = dates.date_id
    inner join marts.dim_agencies as agencies on activity.agency_key = agencies.agency_key
    cross join level_end
    where agencies.agency_level in ('province', 'district', 'commune')
)

select
    activity.month_date,
    activity.agency_level,
    count(distinct activity.agency_id) filter (where activity.dossiers_received > 0) as agencies,
    sum(activity.dossiers_received) as dossiers_received
from activity
inner join loaded_months on activity.month_date = loaded_months.month_date
group by activity.month_date, activity.agency_level
order by activity.month_date, activity.agency_level
