-- Intake is counted in the month a dossier was received; outcomes in the month it
-- was finished, as the Bieu II.06a form counts them. Rates are left to the reader
-- as numerator / denominator so any roll-up stays correct.
with

dossiers as (

    select * from {{ ref('fct_dossiers') }}

),

agencies as (

    select * from {{ ref('dim_agencies') }}

),

intake as (

    select
        agency_id,
        received_month as month_date,
        count(*) as dossiers_received,
        sum(case when is_online then 1 else 0 end) as dossiers_online,
        sum(case when is_postal then 1 else 0 end) as dossiers_postal,
        sum(case when is_paid_online then 1 else 0 end) as dossiers_paid_online,
        0 as dossiers_resolved,
        0 as dossiers_on_time,
        0 as dossiers_late
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
        0 as dossiers_paid_online,
        count(*) as dossiers_resolved,
        sum(case when is_on_time then 1 else 0 end) as dossiers_on_time,
        sum(case when is_late then 1 else 0 end) as dossiers_late
    from dossiers
    where is_resolved
    group by agency_id, finished_month

),

combined as (

    select
        agency_id,
        month_date,
        sum(dossiers_received) as dossiers_received,
        sum(dossiers_online) as dossiers_online,
        sum(dossiers_postal) as dossiers_postal,
        sum(dossiers_paid_online) as dossiers_paid_online,
        sum(dossiers_resolved) as dossiers_resolved,
        sum(dossiers_on_time) as dossiers_on_time,
        sum(dossiers_late) as dossiers_late
    from (
        select * from intake
        union all
        select * from outcomes
    ) as events
    group by agency_id, month_date

),

final as (

    select
        combined.agency_id || '-' || cast(combined.month_date as varchar) as agency_month_id,
        combined.agency_id,
        agencies.agency_name,
        agencies.agency_level,
        agencies.district_name,
        combined.month_date,
        cast(combined.dossiers_received as bigint) as dossiers_received,
        cast(combined.dossiers_online as bigint) as dossiers_online,
        cast(combined.dossiers_postal as bigint) as dossiers_postal,
        cast(combined.dossiers_paid_online as bigint) as dossiers_paid_online,
        cast(combined.dossiers_resolved as bigint) as dossiers_resolved,
        cast(combined.dossiers_on_time as bigint) as dossiers_on_time,
        cast(combined.dossiers_late as bigint) as dossiers_late
    from combined
    inner join agencies
        on combined.agency_id = agencies.agency_id

)

select * from final
