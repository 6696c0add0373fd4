{#- Every engine-specific expression lives here, dispatched per adapter.
    default__ covers DuckDB and Postgres; other engines add their own. -#}

{% macro days_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('days_between', 'cchc')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__days_between(start_ts, end_ts) -%}
    (cast({{ end_ts }} as date) - cast({{ start_ts }} as date))
{%- endmacro %}

{% macro month_key(ts) -%}
    {{ return(adapter.dispatch('month_key', 'cchc')(ts)) }}
{%- endmacro %}

{% macro default__month_key(ts) -%}
    cast(date_trunc('month', {{ ts }}) as date)
{%- endmacro %}
