-- The discrepancy register of the release: each finding with its metrics' labels and
-- its sentence in both languages (marts.rpt_discrepancy_register).
select
    register.severity,
    register.check_name,
    register.metrics,
    register.metric_labels as label_vi,
    metrics.label_en,
    register.report_year,
    register.expected,
    register.observed,
    register.difference,
    register.tolerance,
    replace(register.source_lines, ',', ', ') as source_lines,
    register.message as message_vi,
    register.message_en
from marts.rpt_discrepancy_register as register
left join marts.dim_metrics as metrics
    on register.metrics = metrics.metric_id
order by register.severity, register.check_name, register.metrics
