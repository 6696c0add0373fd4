with

source as (

    select * from {{ source('exports', 'export_dossiers') }}

),

renamed as (

    select
        dossier_code,
        file_sha256,
        source_file,
        source_row,
        partition_agency as partition_agency_code,
        partition_month,
        coalesce(agency_code, partition_agency) as agency_code,
        agency_name,
        procedure_code,
        procedure_name,
        field_code,
        field_name,
        channel as channel_code,
        status as status_code,
        service_level as service_level_code,
        received_at,
        due_at,
        finished_at,
        returned_at,
        coalesce(is_paid_online, false) as is_paid_online,
        fee_amount
    from source

)

select * from renamed
