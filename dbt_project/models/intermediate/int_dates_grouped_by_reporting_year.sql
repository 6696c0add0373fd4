-- The province's reporting years and their bounds (dim_dates and its cut-off), with how
-- much of each the loaded dossier exports cover (macros/coverage.sql): a year is
-- complete when an export month is loaded for every one of its days.
with

dates as (

    select * from {{ ref('dim_dates') }}
    where not is_unknown

),

loaded_months as (

    select distinct
        month_start_date,
        month_end_date
    from {{ ref('int_export_months_loaded') }}

),

periods as (

    select
        reporting_year,
        min(reporting_period_start_date) as period_start_date,
        max(reporting_period_end_date) as period_end_date
    from dates
    group by reporting_year

),

covered as (

    select
        periods.reporting_year,
        sum(
            {{ month_days_in_period('loaded_months.month_start_date', 'loaded_months.month_end_date',
                                    'periods.period_start_date', 'periods.period_end_date') }}
        ) as days_covered
    from periods
    inner join loaded_months
        on
            periods.period_start_date <= loaded_months.month_end_date
            and periods.period_end_date >= loaded_months.month_start_date
    group by periods.reporting_year

),

final as (

    select
        periods.reporting_year,
        periods.period_start_date,
        periods.period_end_date,
        {{ coverage_columns('covered.days_covered',
                            days_in_period('periods.period_start_date', 'periods.period_end_date')) }}
    from periods
    left join covered
        on periods.reporting_year = covered.reporting_year

)

select * from final
