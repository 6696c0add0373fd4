-- The agencies with the lowest on-time rate in reporting year $year (at most $limit),
-- with how many there are in all and the lowest rate among those left out. Agencies as
-- the marts name them (dim_agencies, latest version), activity in the year of its event.
-- Each carries when it began and ended and its successor, so an agency abolished in the
-- year (a merged department, a district committee) is not read as a whole year's work.
with activity as (
    select activity.*
    from marts.fct_dossier_activity as activity
    inner join marts.dim_dates as dates on activity.activity_date = dates.date_id
    where dates.reporting_year = $year
),

per_agency as (
    select
        agencies.agency_id,
        any_value(agencies.agency_name) as agency_name,
        any_value(agencies.agency_level) as agency_level,
        any_value(agencies.valid_to_date) as valid_to_date,
        any_value(successors.agency_name) as successor_name,
        sum(activity.dossiers_received) as dossiers_received,
        sum(activity.dossiers_online) as dossiers_online,
        sum(activity.dossiers_resolved) as dossiers_resolved,
        sum(activity.dossiers_on_time) as dossiers_on_time,
        {rate:dossiers_on_time_pct} as on_time_rate,
        {rate:dossiers_online_pct} as online_rate
    from activity
    inner join marts.dim_agencies as agencies
        on activity.agency_id = agencies.agency_id and agencies.is_latest_version
    left join marts.dim_agencies as successors
        on agencies.successor_agency_id = successors.agency_id and successors.is_latest_version
    group by agencies.agency_id
    having sum(activity.dossiers_received) > 0 or sum(activity.dossiers_resolved) > 0
),

first_versions as (
    select
        agency_id,
        min(valid_from_date) as valid_from_date
    from marts.dim_agencies
    group by agency_id
),

ranked as (
    select
        per_agency.*,
        first_versions.valid_from_date,
        row_number() over (
            order by on_time_rate asc nulls last, dossiers_resolved desc, agency_name
        ) as on_time_rank,
        count(*) over () as agencies_total
    from per_agency
    inner join first_versions on per_agency.agency_id = first_versions.agency_id
)

select
    *,
    min(case when on_time_rank > $limit then on_time_rate end) over () as rest_lowest_on_time_rate
from ranked
qualify on_time_rank <= $limit
order by on_time_rank
