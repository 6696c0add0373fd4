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
