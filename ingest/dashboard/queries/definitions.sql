-- The metric definitions the rates of the other queries are written from.
select metric_id, exports_numerator, exports_denominator
from marts.dim_metric_definitions
where exports_denominator is not null
