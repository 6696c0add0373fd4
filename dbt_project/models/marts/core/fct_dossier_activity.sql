{{
    config(
        materialized='incremental',
        unique_key='source_partition_month',
        incremental_strategy=partition_incremental_strategy(),
        partition_by=fact_partition_by('source_partition_month'),
        on_schema_change='sync_all_columns',
    )
}}
-- The additive core every reporting mart rolls up: per day, what happened to dossiers
-- (received, finished, falling due), counted once here. Each measure is dated by its own
-- event, so a roll-up over any period sums measures and never re-counts dossiers.
--
-- Incremental by source partition month (the load month of the raw row that gave a
-- dossier its latest state): a run rebuilds, whole, the months of the dossiers that
-- fct_dossiers rewrote since this table last ran (its rows newer than the newest
-- source_updated_at here), including months those dossiers' earlier rows lie in, which
-- they may have left.
-- depends_on: {{ ref('stg_exports__dossiers') }}
{%- set events = {'received': 'received_date', 'finished': 'finished_date', 'due': 'due_date'} %}
{%- set measures = var('activity_measures') %}
with

dossiers as (

    select * from {{ ref('fct_dossiers') }}
    {%- if is_incremental() %}
    where source_partition_month in (
        select changed.source_partition_month
        from {{ ref('fct_dossiers') }} as changed
        where changed.dbt_updated_at > (
            select coalesce(max(seen.source_updated_at), cast('1900-01-01' as timestamp))
            from {{ this }} as seen
        )
        union
        select earlier.partition_month
        from {{ ref('stg_exports__dossiers') }} as earlier
        where earlier.dossier_code in (
            select changed.dossier_id
            from {{ ref('fct_dossiers') }} as changed
            where changed.dbt_updated_at > (
                select coalesce(max(seen.source_updated_at), cast('1900-01-01' as timestamp))
                from {{ this }} as seen
            )
        )
    )
    {%- endif %}

),

-- noqa: disable=LT02
-- (sqlfluff measures the indent of the loops' template lines, not of the SQL they write)
events as (
    {%- for event, date_column in events.items() %}

    select
        source_partition_month,
        {{ date_column }} as activity_date,
        agency_key,
        agency_id,
        procedure_id,
        field_id,
        dbt_updated_at,
        {%- for measure, spec in measures.items() %}
        {%- if spec.event == event %}
        {{ spec.flag ~ ' ' if spec.flag else 'true ' }}as {{ measure }}{{ ',' if not loop.last }}
        {%- else %}
        false as {{ measure }}{{ ',' if not loop.last }}
        {%- endif %}
        {%- endfor %}
    from dossiers
    where {{ date_column }} is not null
    {{ 'union all' if not loop.last }}
    {%- endfor %}

),

final as (

    select
        source_partition_month,
        activity_date,
        agency_key,
        agency_id,
        procedure_id,
        field_id,
        {%- for measure in measures %}
        cast(sum(case when {{ measure }} then 1 else 0 end) as bigint) as {{ measure }},
        {%- endfor %}
        max(dbt_updated_at) as source_updated_at,
        -- the months this run rebuilt: what its scoped tests read (macros/test_scope.sql)
        '{{ invocation_id }}' as dbt_invocation_id
    from events
    group by source_partition_month, activity_date, agency_key, agency_id, procedure_id, field_id

)

-- noqa: enable=LT02
select * from final
