-- The last day of the district level (every district ends on it: 2025-06-30), as the
-- district mart records it; null while districts exist.
select max(district_valid_to_date) as district_level_end_date
from marts.rpt_district_monthly_performance
