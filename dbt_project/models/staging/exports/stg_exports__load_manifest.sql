with

source as (

    select * from {{ source('exports', 'load_manifest') }}

),

renamed as (

    select
        file_sha256,
        source_file,
        source_kind,
        partitions as partitions_json,
        rows_read,
        rows_loaded,
        rows_quarantined,
        loaded_at,
        sample_fraction
    from source

)

select * from renamed
