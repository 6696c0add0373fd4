-- What each metric counts over what (ingest/metric_definitions.yml, seed
-- metric_definitions): the one definition the marts, the checks and the dashboard read.
with

definitions as (

    select * from {{ ref('metric_definitions') }}

),

final as (

    select
        metric_id,
        label_vi,
        label_en,
        metric_unit,
        exports_numerator,
        exports_denominator,
        report_numerator,
        report_denominator,
        report_denominator_kind,
        rounding_digits,
        tolerance_relative,
        tolerance_absolute,
        is_reconciled
    from definitions

)

select * from final
