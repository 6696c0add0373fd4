{#- The order that picks a dossier's latest exported state among its raw rows: latest
    partition month, then latest event, then highest status; ties broken by file and
    row so every engine picks the same row. Shared by int_dossiers_deduplicated (the
    reference, over all rows) and fct_dossiers (incremental, over the changed codes). -#}
{% macro dossier_state_order() -%}
    partition_month desc,
    coalesce(returned_at, finished_at, received_at) desc,
    status_code desc,
    file_sha256 asc,
    source_row asc
{%- endmacro %}

{#- Every raw row of `relation` with its dossier's row count and its rank among them
    (1 = the latest state, dossier_state_order): the one ranking both models use. -#}
{% macro ranked_dossier_rows(relation) -%}
    select
        *,
        count(*) over (partition by dossier_code) as source_row_count,
        row_number() over (
            partition by dossier_code
            order by {{ dossier_state_order() }}
        ) as state_rank
    from {{ relation }}
{%- endmacro %}
