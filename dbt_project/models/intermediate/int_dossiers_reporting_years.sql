-- One row per dossier with the province's reporting year of each of its events
-- (received, finished, due), from dim_dates and its cut-off.
with

dossiers as (

    select * from {{ ref('fct_dossiers') }}

),

dates as (

    select * from {{ ref('dim_dates') }}
    where not is_unknown

),

final as (

    select
        dossiers.*,
        received_dates.reporting_year as received_reporting_year,
        finished_dates.reporting_year as finished_reporting_year,
        due_dates.reporting_year as due_reporting_year
    from dossiers
    left join dates as received_dates
        on dossiers.received_date = received_dates.date_id
    left join dates as finished_dates
        on dossiers.finished_date = finished_dates.date_id
    left join dates as due_dates
        on dossiers.due_date = due_dates.date_id

)

select * from final
