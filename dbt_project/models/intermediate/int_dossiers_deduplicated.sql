-- One row per dossier code. A dossier re-exported in a later file (status moved on)
-- appears more than once in raw; the latest state wins, deterministically. This view
-- is the reference definition over all rows; fct_dossiers applies the same order
-- incrementally, and a test checks that both agree.
with

dossier_rows as (

    select * from {{ ref('stg_exports__dossiers') }}

),

ranked as (

    {{ ranked_dossier_rows('dossier_rows') }}

),

final as (

    select * from ranked
    where state_rank = 1

)

select * from final
