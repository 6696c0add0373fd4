-- One row per dossier code. A dossier re-exported in a later file (status moved on)
-- appears more than once in raw; the latest state wins, deterministically.
with

dossier_rows as (

    select * from {{ ref('stg_exports__dossiers') }}

),

ranked as (

    select
        *,
        count(*) over (partition by dossier_code) as source_row_count,
        row_number() over (
            partition by dossier_code
            order by
                partition_month desc,
                coalesce(returned_at, finished_at, received_at) desc,
                status_code desc,
                file_sha256 asc,
                source_row asc
        ) as state_rank
    from dossier_rows

),

final as (

    select * from ranked
    where state_rank = 1

)

select * from final
