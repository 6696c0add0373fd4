-- Dossier activity per agency and month (fct_dossier_activity rolled up): intake in the
-- month a dossier was received; outcomes in the month it was finished, as the Bieu
-- II.06a form counts them; dossiers falling due in the month they fall due. Rates are
-- left to the reader as numerator / denominator (ingest/metric_definitions.yml) so any
-- roll-up stays correct. Each month carries its coverage: complete when the agency's
-- export of that month is loaded (int_export_months_loaded; macros/coverage.sql), else
-- its counts come only from other months' exports (e.g. dossiers falling due later).
with

activity as (

    select * from {{ ref('fct_dossier_activity') }}

),

loaded_months as (

    select * from {{ ref('int_export_months_loaded') }}

),

months as (

    select
        month_start_date,
        count(*) as days_in_month
    from {{ ref('dim_dates') }}
    where not is_unknown
    group by month_start_date

),

agencies as (

    select * from {{ ref('dim_agencies') }}
    where is_latest_version

),

monthly as (

    select
        agency_id,
        {{ month_key('activity_date') }} as month_date,
        {{ sum_activity_measures() }}
    from activity
    group by agency_id, {{ month_key('activity_date') }}

),

final as (

    select
        monthly.agency_id || '-' || {{ date_text('monthly.month_date') }} as agency_month_id,
        monthly.agency_id,
        agencies.agency_name,
        agencies.agency_level,
        agencies.province_name,
        agencies.province_name_ascii,
        agencies.district_name,
        agencies.district_name_ascii,
        monthly.month_date,
        {{ coverage_columns(
            'case when loaded_months.agency_month_id is not null then months.days_in_month else 0 end',
            'months.days_in_month',
        ) }},
        {{ prefixed_activity_measures('monthly') }}
    from monthly
    inner join agencies
        on monthly.agency_id = agencies.agency_id
    inner join months
        on monthly.month_date = months.month_start_date
    left join loaded_months
        on
            monthly.agency_id = loaded_months.agency_id
            and monthly.month_date = loaded_months.month_start_date

)

select * from final
