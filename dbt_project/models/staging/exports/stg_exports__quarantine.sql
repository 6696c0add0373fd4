with

source as (

    select * from {{ source('exports', 'export_quarantine') }}

),

renamed as (

    select
        file_sha256 || '-' || cast(source_row as {{ dbt.type_string() }}) as quarantine_id,
        file_sha256,
        source_file,
        source_row,
        raw_values,
        reason as quarantine_reason
    from source

)

select * from renamed
