{#- Every engine-specific expression lives here, dispatched per adapter.
    default__ covers DuckDB and Postgres; spark__ the Spark target (built and compared
    with the others in tests/dbt/test_spark.py). -#}

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
    DuckDB delete+insert, Postgres merge (MERGE, PostgreSQL 15+), Spark
    insert_overwrite of whole partitions (plain Parquet tables; merge would need Delta
    or Iceberg on the cluster). -#}
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
    {{ return('insert_overwrite') }}
{%- endmacro %}

{#- Physical partitioning of a fact, by the given column: only Spark stores tables as
    partition folders (and insert_overwrite replaces whole partitions). -#}
{% macro fact_partition_by(column) -%}
    {{ return(adapter.dispatch('fact_partition_by', 'cchc')(column)) }}
{%- endmacro %}

{% macro default__fact_partition_by(column) -%}
    {{ return(none) }}
{%- endmacro %}

{% macro spark__fact_partition_by(column) -%}
    {{ return([column]) }}
{%- endmacro %}

{#- on-run-start: make the raw sources readable. DuckDB holds raw itself and Postgres
    gets a copy first (ingest.warehouse.copy_raw_to_postgres); Spark reads the Parquet
    lake that ingest/lake.py exports (env CCHC_SPARK_LAKE), registered as external tables
    under the sources' own names, so staging models are the same on every engine. -#}
{% macro register_raw_sources() -%}
    {{ return(adapter.dispatch('register_raw_sources', 'cchc')()) }}
{%- endmacro %}

{% macro default__register_raw_sources() -%}
{%- endmacro %}

{% macro spark__register_raw_sources() -%}
    {%- if execute -%}
        {%- set lake = env_var('CCHC_SPARK_LAKE', '../warehouse/lake') | trim -%}
        {#- partition folders (province=H34/partition_month=2020-03) are text, as in raw -#}
        {%- do run_query('set spark.sql.sources.partitionColumnTypeInference.enabled = false') -%}
        {%- set schemas = [] -%}
        {%- for source in graph.sources.values() -%}
            {%- if source.schema not in schemas -%}
                {%- do run_query('create database if not exists ' ~ source.schema) -%}
                {%- do schemas.append(source.schema) -%}
            {%- endif -%}
            {%- set table = source.schema ~ '.' ~ source.identifier -%}
            {%- set location = lake.rstrip('/') ~ '/' ~ source.schema ~ '/' ~ source.identifier -%}
            {%- do run_query('drop table if exists ' ~ table) -%}
            {%- do run_query('create table ' ~ table ~ " using parquet location '" ~ location ~ "'") -%}
            {%- set described = run_query('describe table ' ~ table) -%}
            {%- if '# Partition Information' in described.columns[0].values() -%}
                {%- do run_query('alter table ' ~ table ~ ' recover partitions') -%}
            {%- endif -%}
        {%- endfor -%}
    {%- endif -%}
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

{#- Seeds on Spark: dbt-spark 1.11 in session mode binds seed values by plain string
    formatting, so an empty cell arrives as the text 'None' and a quote in a value
    breaks the statement. This writes each value as a proper literal instead (strings
    escaped, empty cells null); dbt uses a root-project macro of the adapter's name. -#}
{% macro spark__load_csv_rows(model, agate_table) %}
    {%- set column_override = model['config'].get('column_types', {}) -%}
    {%- set statements = [] -%}
    {%- for chunk in agate_table.rows | batch(get_batch_size()) -%}
        {%- set sql -%}
            insert into {{ this.render() }} values
            {% for row in chunk -%}
                (
                {%- for col_name in agate_table.column_names -%}
                    {%- set type = column_override.get(col_name, adapter.convert_type(agate_table, loop.index0)) -%}
                    cast({{ cchc_spark_literal(row[loop.index0]) }} as {{ type }})
                    {%- if not loop.last %}, {% endif -%}
                {%- endfor -%}
                )
                {%- if not loop.last %},{% endif %}
            {% endfor -%}
        {%- endset -%}
        {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
        {%- if loop.index0 == 0 -%}
            {%- do statements.append(sql) -%}
        {%- endif -%}
    {%- endfor -%}
    {{ return(statements[0]) }}
{% endmacro %}

{% macro cchc_spark_literal(value) -%}
    {%- if value is none -%}
        null
    {%- elif value is sameas true or value is sameas false -%}
        {{ 'true' if value else 'false' }}
    {%- elif value is number -%}
        {{ value }}
    {%- else -%}
        '{{ (value | string).replace('\\', '\\\\').replace("'", "\\'") }}'
    {%- endif -%}
{%- endmacro %}

{#- Incremental strategy of facts replaced by whole partitions (fct_dossier_activity,
    keyed by source partition month): delete+insert on DuckDB and Postgres, whole
    partitions on Spark. -#}
{% macro partition_incremental_strategy() -%}
    {{ return(adapter.dispatch('partition_incremental_strategy', 'cchc')()) }}
{%- endmacro %}

{% macro default__partition_incremental_strategy() -%}
    {{ return('delete+insert') }}
{%- endmacro %}

{% macro spark__partition_incremental_strategy() -%}
    {{ return('insert_overwrite') }}
{%- endmacro %}

{#- When this dbt invocation started, as a timestamp literal (the same in every model). -#}
{% macro run_started_timestamp() -%}
    cast('{{ run_started_at.strftime("%Y-%m-%d %H:%M:%S.%f") }}' as timestamp)
{%- endmacro %}

{#- Text values of a group joined by a delimiter, in ascending order (Spark's listagg
    ignores an order by, so its lists would differ from run to run). -#}
{% macro sorted_listagg(measure, delimiter_text="', '") -%}
    {{ return(adapter.dispatch('sorted_listagg', 'cchc')(measure, delimiter_text)) }}
{%- endmacro %}

{% macro default__sorted_listagg(measure, delimiter_text) -%}
    {{ dbt.listagg(measure, delimiter_text, 'order by ' ~ measure) }}
{%- endmacro %}

{% macro spark__sorted_listagg(measure, delimiter_text) -%}
    array_join(array_sort(collect_list({{ measure }})), {{ delimiter_text }})
{%- endmacro %}
