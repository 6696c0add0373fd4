with

source as (

    select * from {{ source('exports', 'export_aggregates') }}

),

renamed as (

    select
        file_sha256 || '-' || cast(source_row as {{ dbt.type_string() }}) as aggregate_row_id,
        file_sha256,
        source_file,
        source_row,
        partition_agency as agency_code,
        partition_period as period_code,
        period_start as period_start_date,
        period_end as period_end_date,
        field_code,
        field_name,
        received_total as dossiers_received,
        received_online as dossiers_received_online,
        received_in_person_or_post as dossiers_received_in_person_or_post,
        received_carried_over as dossiers_carried_over,
        resolved_total as dossiers_resolved,
        resolved_early as dossiers_resolved_early,
        resolved_on_time as dossiers_resolved_on_time,
        resolved_overdue as dossiers_resolved_overdue,
        pending_total as dossiers_pending,
        pending_within_deadline as dossiers_pending_within_deadline,
        pending_overdue as dossiers_pending_overdue
    from source

)

select * from renamed
