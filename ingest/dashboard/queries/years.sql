-- The reporting years with dossiers, their bounds under the province's cut-off and how
-- many of their days the loaded exports cover, as the scorecard counts them.
select
    reporting_year,
    period_start_date,
    period_end_date,
    days_covered
from marts.rpt_province_year_scorecard
where dossiers_received > 0
order by reporting_year
