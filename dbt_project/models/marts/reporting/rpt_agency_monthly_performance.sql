-- Intake is counted in the month a dossier was received; outcomes in the month it
-- was finished, as the Bieu II.06a form counts them; dossiers falling due in the month
-- they fall due. Rates are left to the reader as numerator / denominator so any
-- roll-up stays correct.
with

dossiers as (

    select * from {{ ref('fct_dossiers') }}

),

agencies as (

    select * from {{ ref('dim_agencies') }}
    where is_latest_version

),

intake as (

    select
        agency_id,
        received_month as month_date,
        count(*) as dossiers_received,
        sum(case when is_online then 1 else 0 end) as dossiers_online,
        sum(case when is_postal then 1 else 0 end) as dossiers_postal,
        sum(case when has_fee then 1 else 0 end) as dossiers_with_fee,
        sum(case when is_paid_online then 1 else 0 end) as dossiers_paid_online,
        0 as dossiers_resolved,
        0 as dossiers_on_time,
        0 as dossiers_late,
        0 as dossiers_returned_or_withdrawn,
        0 as dossiers_due
    from dossiers
    group by agency_id, received_month

),

outcomes as (

    select
        agency_id,
        finished_month as month_date,
        0 as dossiers_received,
        0 as dossiers_online,
        0 as dossiers_postal,
        0 as dossiers_with_fee,
        0 as dossiers_paid_online,
        sum(case when is_resolved then 1 else 0 end) as dossiers_resolved,
        sum(case when is_on_time then 1 else 0 end) as dossiers_on_time,
        sum(case when is_late then 1 else 0 end) as dossiers_late,
        sum(case when is_returned_or_withdrawn then 1 else 0 end) as dossiers_returned_or_withdrawn,
        0 as dossiers_due
    from dossiers
    where finished_month is not null
    group by agency_id, finished_month

),

falling_due as (

    select
        agency_id,
        {{ month_key('due_date') }} as month_date,
        0 as dossiers_received,
        0 as dossiers_online,
        0 as dossiers_postal,
        0 as dossiers_with_fee,
        0 as dossiers_paid_online,
        0 as dossiers_resolved,
        0 as dossiers_on_time,
        0 as dossiers_late,
        0 as dossiers_returned_or_withdrawn,
        count(*) as dossiers_due
    from dossiers
    where due_date is not null
    group by agency_id, {{ month_key('due_date') }}

),

events as (

    select * from intake
    union all
    select * from outcomes
    union all
    select * from falling_due

),

combined as (

    select
        agency_id,
        month_date,
        sum(dossiers_received) as dossiers_received,
        sum(dossiers_online) as dossiers_online,
        sum(dossiers_postal) as dossiers_postal,
        sum(dossiers_with_fee) as dossiers_with_fee,
        sum(dossiers_paid_online) as dossiers_paid_online,
        sum(dossiers_resolved) as dossiers_resolved,
        sum(dossiers_on_time) as dossiers_on_time,
        sum(dossiers_late) as dossiers_late,
        sum(dossiers_returned_or_withdrawn) as dossiers_returned_or_withdrawn,
        sum(dossiers_due) as dossiers_due
    from events
    group by agency_id, month_date

),

final as (

    select
        combined.agency_id || '-' || {{ date_text('combined.month_date') }} as agency_month_id,
        combined.agency_id,
        agencies.agency_name,
        agencies.agency_level,
        agencies.district_name,
        combined.month_date,
        cast(combined.dossiers_received as bigint) as dossiers_received,
        cast(combined.dossiers_online as bigint) as dossiers_online,
        cast(combined.dossiers_postal as bigint) as dossiers_postal,
        cast(combined.dossiers_with_fee as bigint) as dossiers_with_fee,
        cast(combined.dossiers_paid_online as bigint) as dossiers_paid_online,
        cast(combined.dossiers_resolved as bigint) as dossiers_resolved,
        cast(combined.dossiers_on_time as bigint) as dossiers_on_time,
        cast(combined.dossiers_late as bigint) as dossiers_late,
        cast(combined.dossiers_returned_or_withdrawn as bigint) as dossiers_returned_or_withdrawn,
        cast(combined.dossiers_due as bigint) as dossiers_due
    from combined
    inner join agencies
        on combined.agency_id = agencies.agency_id

)

select * from final
