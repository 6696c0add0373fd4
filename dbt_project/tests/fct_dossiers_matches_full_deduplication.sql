-- The incremental fct_dossiers must hold exactly the dossiers, and the winning raw
-- rows, that deduplicating all raw rows gives. A row here means an incremental run
-- missed a change the loader made behind it (e.g. a dossier dropped from a re-loaded
-- partition): run `dbt build --full-refresh -s fct_dossiers+`.
{{ config(severity='warn', tags=['full_history']) }}

with

reference_state as (

    select
        dossier_code as dossier_id,
        file_sha256,
        source_row
    from {{ ref('int_dossiers_deduplicated') }}

),

fact_state as (

    select
        dossier_id,
        file_sha256,
        source_row
    from {{ ref('fct_dossiers') }}

),

missing_from_fact as (

    select * from reference_state
    except
    select * from fact_state

),

extra_in_fact as (

    select * from fact_state
    except
    select * from reference_state

),

final as (

    select
        'missing_from_fact' as difference,
        *
    from missing_from_fact
    union all
    select
        'extra_in_fact' as difference,
        *
    from extra_in_fact

)

select * from final
