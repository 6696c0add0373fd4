-- The discrepancy register of the release, with the metrics' labels (vi, en) where defined.
select
    register.severity,
    register.check_name,
    register.metrics,
    definitions.label_vi,
    definitions.label_en,
    register.report_year,
    register.expected,
    register.observed,
    register.difference,
    register.tolerance,
    replace(register.source_lines, ',', ', ') as source_lines,
    register.message
from marts.rpt_discrepancy_register as register
left join marts.dim_metric_definitions as definitions
    on register.metrics = definitions.metric_id
order by register.severity, register.check_name, register.metrics
