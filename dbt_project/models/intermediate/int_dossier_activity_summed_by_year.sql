-- Dossier activity summed per reporting year of the province (dim_dates and its
-- cut-off), agency and procedure: each measure falls in the year of its own event.
with

activity as (

    select * from {{ ref('fct_dossier_activity') }}

),

dates as (

    select * from {{ ref('dim_dates') }}
    where not is_unknown

),

final as (

    select
        dates.reporting_year,
        activity.agency_id,
        activity.procedure_id,
        {{ sum_activity_measures('activity.') }}
    from activity
    inner join dates
        on activity.activity_date = dates.date_id
    group by dates.reporting_year, activity.agency_id, activity.procedure_id

)

select * from final
