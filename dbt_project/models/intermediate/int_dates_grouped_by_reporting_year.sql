-- The province's reporting years and their bounds (dim_dates and its cut-off).
with

dates as (

    select * from {{ ref('dim_dates') }}
    where not is_unknown

),

final as (

    select
        reporting_year,
        min(reporting_period_start_date) as period_start_date,
        max(reporting_period_end_date) as period_end_date
    from dates
    group by reporting_year

)

select * from final
