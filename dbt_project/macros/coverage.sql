{#- How complete a period's data is, written once: every published period carries the
    days of export data present against the days it has. A day is covered when the
    dossier export of its month is loaded (int_export_months_loaded): a loaded month
    covers all its days, with or without dossiers on each. -#}

{#- Days of a loaded export month [month_start, month_end] inside [period_start,
    period_end] (0 when they do not overlap). -#}
{% macro month_days_in_period(month_start, month_end, period_start, period_end) -%}
    case
        when {{ month_start }} <= {{ period_end }} and {{ month_end }} >= {{ period_start }}
            then {{ days_between(
                'greatest(' ~ month_start ~ ', ' ~ period_start ~ ')',
                'least(' ~ month_end ~ ', ' ~ period_end ~ ')',
            ) }} + 1
        else 0
    end
{%- endmacro %}

{#- Days from period_start to period_end, both included. -#}
{% macro days_in_period(period_start, period_end) -%}
    ({{ days_between(period_start, period_end) }} + 1)
{%- endmacro %}

{#- The published coverage columns from the days covered and the days in the period:
    days_covered, days_in_period, coverage_ratio (0..1, 4 decimals) and is_complete
    (every day of the period covered). -#}
{% macro coverage_columns(days_covered, days_in_period) -%}
    cast(coalesce({{ days_covered }}, 0) as integer) as days_covered,
        cast({{ days_in_period }} as integer) as days_in_period,
        cast(
            round(cast(1.0 * coalesce({{ days_covered }}, 0) / {{ days_in_period }} as decimal(18, 6)), 4)
            as decimal(5, 4)
        ) as coverage_ratio,
        coalesce({{ days_covered }}, 0) >= {{ days_in_period }} as is_complete
{%- endmacro %}
