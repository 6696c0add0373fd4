-- The whole province month by month; rates from the metric definitions ({rate:...}).
select
    month_date,
    sum(dossiers_received) as dossiers_received,
    sum(dossiers_online) as dossiers_online,
    sum(dossiers_resolved) as dossiers_resolved,
    sum(dossiers_on_time) as dossiers_on_time,
    {rate:dossiers_on_time_pct} as on_time_rate,
    {rate:dossiers_online_pct} as online_rate
from marts.rpt_agency_monthly_performance
group by month_date
having sum(dossiers_received) > 0 or sum(dossiers_resolved) > 0
order by month_date
