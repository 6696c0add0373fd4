-- Dossier activity per agency and month (fct_dossier_activity rolled up): intake in the
-- month a dossier was received; outcomes in the month it was finished, as the Bieu
-- II.06a form counts them; dossiers falling due in the month they fall due. Rates are
-- left to the reader as numerator / denominator (ingest/metric_definitions.yml) so any
-- roll-up stays correct.
with

activity as (

    select * from {{ ref('fct_dossier_activity') }}

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
        {{ prefixed_activity_measures('monthly') }}
    from monthly
    inner join agencies
        on monthly.agency_id = agencies.agency_id

)

select * from final
