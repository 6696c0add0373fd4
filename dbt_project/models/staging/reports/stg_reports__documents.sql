with

source as (

    select * from {{ source('reports', 'report_documents') }}

),

renamed as (

    select
        report_id,
        source_file,
        province as province_name,
        report_number,
        issued_date as report_issued_date,
        report_year,
        period_start as period_start_date,
        period_end as period_end_date,
        title as report_title,
        legal_references,
        line_count,
        loaded_at
    from source

)

select * from renamed
