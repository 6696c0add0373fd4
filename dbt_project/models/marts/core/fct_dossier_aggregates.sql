-- The aggregated export form (Bieu II.06a/VPCP/KSTT): counts per agency, period and
-- field as the agency reported them. A re-loaded partition replaces its raw rows, so
-- each raw row is one current figure line.
with

aggregate_rows as (

    select * from {{ ref('stg_exports__aggregates') }}

),

agencies as (

    select * from {{ ref('dim_agencies') }}
    where not is_unknown

),

fields as (

    select * from {{ ref('dim_fields') }}
    where not is_unknown

),

-- The agency version valid at the end of the reported period, else its latest one.
agency_versions as (

    select
        aggregate_rows.aggregate_row_id,
        agencies.agency_key,
        agencies.agency_id,
        row_number() over (
            partition by aggregate_rows.aggregate_row_id
            order by
                case
                    when
                        aggregate_rows.period_end_date >= agencies.valid_from_date
                        and (
                            agencies.valid_to_date is null
                            or aggregate_rows.period_end_date <= agencies.valid_to_date
                        )
                        then 0
                    else 1
                end,
                agencies.valid_from_date desc
        ) as version_rank
    from aggregate_rows
    inner join agencies
        on aggregate_rows.agency_code = agencies.agency_id

),

final as (

    select
        aggregate_rows.aggregate_row_id as dossier_aggregate_id,
        coalesce(agency_versions.agency_key, 'unknown') as agency_key,
        coalesce(agency_versions.agency_id, 'unknown') as agency_id,
        coalesce(fields.field_id, 'unknown') as field_id,
        aggregate_rows.field_name as reported_field_name,
        aggregate_rows.period_code,
        aggregate_rows.period_start_date,
        aggregate_rows.period_end_date,
        aggregate_rows.dossiers_received,
        aggregate_rows.dossiers_received_online,
        aggregate_rows.dossiers_received_in_person_or_post,
        aggregate_rows.dossiers_carried_over,
        aggregate_rows.dossiers_resolved,
        aggregate_rows.dossiers_resolved_early,
        aggregate_rows.dossiers_resolved_on_time,
        aggregate_rows.dossiers_resolved_overdue,
        aggregate_rows.dossiers_pending,
        aggregate_rows.dossiers_pending_within_deadline,
        aggregate_rows.dossiers_pending_overdue,
        aggregate_rows.file_sha256,
        aggregate_rows.source_file,
        aggregate_rows.source_row
    from aggregate_rows
    left join agency_versions
        on
            aggregate_rows.aggregate_row_id = agency_versions.aggregate_row_id
            and agency_versions.version_rank = 1
    left join fields
        on aggregate_rows.field_code = fields.field_id

)

select * from final
