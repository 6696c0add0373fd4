with

dossiers as (

    select * from {{ ref('int_dossiers_deduplicated') }}

),

agencies as (

    select agency_id from {{ ref('dim_agencies') }}
    where not is_unknown

),

procedures as (

    select procedure_id from {{ ref('dim_procedures') }}
    where not is_unknown

),

keyed as (

    select
        dossiers.*,
        coalesce(agencies.agency_id, 'unknown') as agency_id,
        coalesce(procedures.procedure_id, 'unknown') as procedure_id
    from dossiers
    left join agencies
        on dossiers.agency_code = agencies.agency_id
    left join procedures
        on dossiers.procedure_code = procedures.procedure_id

),

classified as (

    select
        *,
        -- 3 not accepted, 7 withdrawn, 8 stopped: closed without a result.
        coalesce(status_code in (3, 7, 8), false) as is_returned_or_withdrawn,
        finished_at is not null
        and not coalesce(status_code in (3, 7, 8), false) as is_resolved
    from keyed

),

final as (

    select
        dossier_code as dossier_id,
        agency_id,
        procedure_id,
        field_code as field_id,
        channel_code,
        status_code,
        cast(received_at as date) as received_date,
        cast(due_at as date) as due_date,
        cast(finished_at as date) as finished_date,
        {{ month_key('received_at') }} as received_month,
        {{ month_key('finished_at') }} as finished_month,
        received_at,
        due_at,
        finished_at,
        returned_at,
        channel_code = 2 as is_online,
        channel_code = 3 as is_postal,
        is_paid_online,
        fee_amount,
        is_resolved,
        is_returned_or_withdrawn,
        is_resolved and (due_at is null or finished_at <= due_at) as is_on_time,
        is_resolved and due_at is not null and finished_at > due_at as is_late,
        not is_resolved and not is_returned_or_withdrawn as is_pending,
        case
            when is_resolved then {{ days_between('received_at', 'finished_at') }}
        end as processing_days,
        source_row_count,
        source_file,
        source_row
    from classified

)

select * from final
