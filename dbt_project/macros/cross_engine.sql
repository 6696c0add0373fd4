{#- Every engine-specific expression lives here, dispatched per adapter.
    default__ covers DuckDB and Postgres; spark__ versions are written from the
    portability notes (../shared/stack/STACK.md) for the Spark target to come. -#}

{#- Whole days from start to end (dates or timestamps), as an integer. -#}
{% macro days_between(start_ts, end_ts) -%}
    {{ return(adapter.dispatch('days_between', 'cchc')(start_ts, end_ts)) }}
{%- endmacro %}

{% macro default__days_between(start_ts, end_ts) -%}
    (cast({{ end_ts }} as date) - cast({{ start_ts }} as date))
{%- endmacro %}

{% macro spark__days_between(start_ts, end_ts) -%}
    datediff(cast({{ end_ts }} as date), cast({{ start_ts }} as date))
{%- endmacro %}

{#- First day of the month of a date or timestamp, as a date. -#}
{% macro month_key(ts) -%}
    {{ return(adapter.dispatch('month_key', 'cchc')(ts)) }}
{%- endmacro %}

{% macro default__month_key(ts) -%}
    cast(date_trunc('month', {{ ts }}) as date)
{%- endmacro %}

{#- A date plus a whole number of days, as a date. -#}
{% macro add_days(date_expr, days) -%}
    {{ return(adapter.dispatch('add_days', 'cchc')(date_expr, days)) }}
{%- endmacro %}

{% macro default__add_days(date_expr, days) -%}
    cast(cast({{ date_expr }} as date) + cast({{ days }} as integer) as date)
{%- endmacro %}

{% macro spark__add_days(date_expr, days) -%}
    date_add(cast({{ date_expr }} as date), cast({{ days }} as integer))
{%- endmacro %}

{#- ISO day of week: 1 = Monday .. 7 = Sunday. -#}
{% macro iso_day_of_week(date_expr) -%}
    {{ return(adapter.dispatch('iso_day_of_week', 'cchc')(date_expr)) }}
{%- endmacro %}

{% macro default__iso_day_of_week(date_expr) -%}
    cast(extract(isodow from {{ date_expr }}) as integer)
{%- endmacro %}

{% macro spark__iso_day_of_week(date_expr) -%}
    (pmod(dayofweek({{ date_expr }}) + 5, 7) + 1)
{%- endmacro %}

{#- A date or a month as text: 'yyyy-mm-dd' (or its first 7 characters, 'yyyy-mm'). -#}
{% macro date_text(date_expr) -%}
    {{ return(adapter.dispatch('date_text', 'cchc')(date_expr)) }}
{%- endmacro %}

{% macro default__date_text(date_expr) -%}
    cast(cast({{ date_expr }} as date) as {{ dbt.type_string() }})
{%- endmacro %}

{% macro spark__date_text(date_expr) -%}
    date_format({{ date_expr }}, 'yyyy-MM-dd')
{%- endmacro %}

{#- Incremental strategy of the month-by-month facts, per engine:
    DuckDB delete+insert, Postgres merge (MERGE, PostgreSQL 15+),
    Spark merge (needs Delta or Iceberg tables on the cluster). -#}
{% macro fact_incremental_strategy() -%}
    {{ return(adapter.dispatch('fact_incremental_strategy', 'cchc')()) }}
{%- endmacro %}

{% macro default__fact_incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro postgres__fact_incremental_strategy() -%}
    {{ return('merge') }}
{%- endmacro %}

{% macro spark__fact_incremental_strategy() -%}
    {{ return('merge') }}
{%- endmacro %}

{#- 64-bit floating point: dbt.type_float() is a 32-bit float on DuckDB, which prints
    98.35 as 98.3499984741211. -#}
{% macro type_double() -%}
    {{ return(adapter.dispatch('type_double', 'cchc')()) }}
{%- endmacro %}

{% macro default__type_double() -%}
    double precision
{%- endmacro %}

{% macro spark__type_double() -%}
    double
{%- endmacro %}
