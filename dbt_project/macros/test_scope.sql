{#- Tests on the incremental facts carry `where: __written_by_this_run__`. A build that
    leaves out the full-history tests (`--exclude tag:full_history`: a scheduled month's
    build, ingest.pipeline.dbt_build_args) is a month's build: the placeholder keeps the
    rows this dbt invocation wrote (dbt_invocation_id), so it tests the month and not ten
    years. Any other build or test run (the yearly and full-refresh builds, a plain
    `dbt build`) reads the whole table. Decided from the invocation's arguments, not a
    var: changing a var makes dbt parse the whole project again (30 s here).
    Expanded at run time because a `where` config is rendered at parse time and cached by
    partial parsing (dbt docs: resource-configs/where, "Custom logic"). -#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where') -%}
    {%- if where and '__written_by_this_run__' in where -%}
        {%- set this_run = "dbt_invocation_id = '" ~ invocation_id ~ "'" if is_month_build() else '1 = 1' -%}
        {%- set where = where | replace('__written_by_this_run__', this_run) -%}
    {%- endif -%}
    {%- if not where or where == '1 = 1' -%}
        {%- do return(relation) -%}
    {%- endif -%}
    {%- set filtered -%}
        (select * from {{ relation }} where {{ where }}) dbt_subquery
    {%- endset -%}
    {%- do return(filtered) -%}
{%- endmacro %}

{#- True when this invocation excludes the tests tagged full_history. -#}
{% macro is_month_build() -%}
    {%- set excluded = invocation_args_dict.get('exclude') or [] -%}
    {%- if excluded is string -%}
        {%- set excluded = [excluded] -%}
    {%- endif -%}
    {%- do return('tag:full_history' in (excluded | join(' ')).split()) -%}
{%- endmacro %}
