{#- The measures metrics are defined over (ingest/metric_definitions.yml): the additive
    counts of fct_dossier_activity (var activity_measures) and the procedure catalog's
    counts (var catalog_measures). Every roll-up sums them through these macros, so the
    counting is written once. -#}

{#- `sum(m) as m` for each activity measure, as bigint (0, not null, over no rows when
    zero_if_none). -#}
{% macro sum_activity_measures(prefix='', zero_if_none=false) -%}
    {%- for measure in var('activity_measures') %}
    {%- set total = 'sum(' ~ prefix ~ measure ~ ')' %}
    cast({{ 'coalesce(' ~ total ~ ', 0)' if zero_if_none else total }} as bigint) as {{ measure }}
    {{- ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- `coalesce(alias.m, 0) as m` for each activity measure: a roll-up left-joined. -#}
{% macro coalesce_activity_measures(alias) -%}
    {%- for measure in var('activity_measures') %}
    cast(coalesce({{ alias }}.{{ measure }}, 0) as bigint) as {{ measure }}{{ ',' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- `alias.m` for each activity measure, comma-separated. -#}
{% macro prefixed_activity_measures(alias) -%}
    {%- for measure in var('activity_measures') -%}
    {{ alias }}.{{ measure }}{{ ',\n        ' if not loop.last }}
    {%- endfor -%}
{%- endmacro %}

{#- One row per key and measure: (keys..., measure_id, measure_value) from a wide CTE. -#}
{% macro unpivot_measures(relation, key_columns, measures) -%}
    {%- for measure in measures %}
    select
        {%- for key in key_columns %}
        {{ key }},
        {%- endfor %}
        '{{ measure }}' as measure_id,
        cast({{ measure }} as bigint) as measure_value
    from {{ relation }}
    {{ 'union all' if not loop.last }}
    {%- endfor %}
{%- endmacro %}

{#- A metric's value from its numerator and denominator: the count itself when the
    metric has no denominator, else a percentage (none when the denominator is 0),
    rounded to `digits_column` decimals when given. Spark's round() takes literal scales
    only, hence one branch per number of decimals. -#}
{% macro metric_value(numerator, denominator, denominator_measure, digits_column=none) -%}
    {%- set percent = '100.0 * ' ~ numerator ~ ' / ' ~ denominator %}
    case
        when {{ denominator_measure }} is null then cast({{ numerator }} as {{ type_double() }})
        when {{ denominator }} > 0 then cast(
        {%- if digits_column %}
            case {{ digits_column }}
                {%- for digits in range(5) %}
                when {{ digits }} then round({{ percent }}, {{ digits }})
                {%- endfor %}
            end
        {%- else %}
            {{ percent }}
        {%- endif %}
            as {{ type_double() }}
        )
    end
{%- endmacro %}

{#- Each definition's numerator and denominator measures (`numerators`, `denominators`)
    for each row of `relation`, matched on `key` in an unpivoted `measures` CTE. -#}
{% macro join_definition_measures(relation, key, measures='measures') -%}
    inner join {{ measures }} as numerators
        on
            {{ relation }}.{{ key }} = numerators.{{ key }}
            and definitions.exports_numerator = numerators.measure_id
    left join {{ measures }} as denominators
        on
            {{ relation }}.{{ key }} = denominators.{{ key }}
            and definitions.exports_denominator = denominators.measure_id
{%- endmacro %}
