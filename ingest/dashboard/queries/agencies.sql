-- The agencies with the lowest on-time rate (at most $limit), with how many there are in
-- all and the lowest rate among those left out.
with per_agency as (
    select
        agency_id,
        any_value(agency_name) as agency_name,
        any_value(agency_level) as agency_level,
        sum(dossiers_received) as dossiers_received,
        sum(dossiers_online) as dossiers_online,
        sum(dossiers_resolved) as dossiers_resolved,
        sum(dossiers_on_time) as dossiers_on_time,
        {rate:dossiers_on_time_pct} as on_time_rate,
        {rate:dossiers_online_pct} as online_rate
    from marts.rpt_agency_monthly_performance
    group by agency_id
    having sum(dossiers_received) > 0 or sum(dossiers_resolved) > 0
),

ranked as (
    select
        *,
        row_number() over (
            order by on_time_rate asc nulls last, dossiers_resolved desc, agency_name
        ) as on_time_rank,
        count(*) over () as agencies_total
    from per_agency
)

select
    *,
    min(case when on_time_rank > $limit then on_time_rate end) over () as rest_lowest_on_time_rate
from ranked
qualify on_time_rank <= $limit
order by on_time_rank
