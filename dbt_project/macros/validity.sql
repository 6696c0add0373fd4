{#- The version of a reference row (seed administrative_units: valid_from/valid_to, null
    = open) in force on `day`. One predicate for every "unit as it was on that date" join. -#}
{% macro is_valid_on(versioned, day) -%}
    ({{ versioned }}.valid_from is null or {{ day }} >= {{ versioned }}.valid_from)
    and ({{ versioned }}.valid_to is null or {{ day }} <= {{ versioned }}.valid_to)
{%- endmacro %}
