-- The reporting years with dossiers and their bounds under the province's cut-off, as
-- the scorecard counts them.
select
    reporting_year,
    period_start_date,
    period_end_date
from marts.rpt_province_year_scorecard
where dossiers_received > 0
order by reporting_year
