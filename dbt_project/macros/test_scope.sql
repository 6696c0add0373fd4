{#- Tests on the incremental facts carry `where: __written_by_this_run__`. In a month's
    build (`dbt build --selector month_build` or `month_exports_build`, selectors.yml;
    ingest.pipeline.dbt_build_args)
    the placeholder keeps the rows this dbt invocation wrote (dbt_invocation_id), so it
    tests the month and not ten years. Any other build or test run (the yearly and
    full-refresh builds, a plain `dbt build`) reads the whole table. Decided from the
    invocation's selector, not a var: a changed var makes dbt parse the whole project
    again (30 s here). Expanded at run time because a `where` config is rendered at parse
    time and cached by partial parsing (dbt docs: resource-configs/where, "Custom logic"). -#}
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

{#- True when this invocation builds with a month's selector (selectors.yml). -#}
{% macro is_month_build() -%}
    {%- do return(invocation_args_dict.get('selector') in ('month_build', 'month_exports_build')) -%}
{%- endmacro %}
