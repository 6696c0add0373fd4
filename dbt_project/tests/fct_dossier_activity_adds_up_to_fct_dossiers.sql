-- Every measure of fct_dossier_activity equals the dossiers of fct_dossiers it counts:
-- an incremental run that missed a month (or counted one twice) fails here. Returns the
-- measures that disagree. Reads both whole facts: a full-history test.
{{ config(tags=['full_history']) }}
{%- set events = {'received': 'received_date', 'finished': 'finished_date', 'due': 'due_date'} %}
with

activity as (

    select
        {%- for measure in var('activity_measures') %}
        coalesce(sum({{ measure }}), 0) as {{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('fct_dossier_activity') }}

),

dossiers as (

    select
        {%- for measure, spec in var('activity_measures').items() %}
        sum(
            case when {{ events[spec.event] }} is not null
                {%- if spec.flag %} and {{ spec.flag }}{% endif %} then 1 else 0 end
        ) as {{ measure }}{{ ',' if not loop.last }}
        {%- endfor %}
    from {{ ref('fct_dossiers') }}

)

{%- for measure in var('activity_measures') %}
select
    '{{ measure }}' as measure_id,
    activity.{{ measure }} as in_activity,
    coalesce(dossiers.{{ measure }}, 0) as in_dossiers
from activity
cross join dossiers
where activity.{{ measure }} != coalesce(dossiers.{{ measure }}, 0)
{{ 'union all' if not loop.last }}
{%- endfor %}
