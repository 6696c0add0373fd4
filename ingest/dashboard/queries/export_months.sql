-- The calendar months the dossier exports cover: the months with dossiers received.
select month_date
from marts.rpt_agency_monthly_performance
group by month_date
having sum(dossiers_received) > 0
order by month_date
