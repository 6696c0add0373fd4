{{
    config(
        materialized='incremental',
        unique_key='dossier_id',
        incremental_strategy=fact_incremental_strategy(),
        partition_by=fact_partition_by('source_partition_month'),
        on_schema_change='sync_all_columns',
    )
}}
-- Incremental: the loaders add raw rows file by file (one agency x month partition
-- each), so a run only re-derives the dossiers that appear in raw rows of files it has
-- not read: not in load_manifest as loaded by the newest loaded_through_at here (files
-- loaded since, and rows written behind the loader's back); or, with
-- --vars '{fct_dossiers_months: [yyyy-mm, ...]}', in those partition months. Their
-- latest state is ranked over all their raw rows, then replaced by dossier_id
-- (delete+insert on DuckDB, merge on Postgres). On Spark the
-- table is partitioned by source partition month and a run rewrites whole partitions
-- (insert_overwrite): the months of the changed rows and the months their dossiers
-- leave, each re-derived complete. A table built before the columns below existed is
-- re-derived whole, once (schema upgrade).
{%- set rebuild_months = var('fct_dossiers_months', []) %}
{%- set can_increment = false %}
{%- if is_incremental() %}
    {%- set existing_columns = adapter.get_columns_in_relation(this) | map(attribute='name') | map('lower') | list %}
    {%- set can_increment = 'loaded_through_at' in existing_columns and 'dbt_invocation_id' in existing_columns %}
{%- endif %}
{#- Changed raw rows: those of files the last run had not read in the manifest (a small
    table: no scan of this one; a reloaded or backfilled month is a newly loaded file),
    or of the months asked for. #}
{%- if rebuild_months %}
    {%- set changed_rows = "changed.partition_month in ('" ~ (rebuild_months | join("', '")) ~ "')" %}
{%- else %}
    {%- set changed_rows = (
        'changed.file_sha256 not in (select manifest.file_sha256 from '
        ~ ref('stg_exports__load_manifest') ~ ' as manifest where manifest.loaded_at <= '
        ~ '(select coalesce(max(seen.loaded_through_at), ' ~ "cast('1900-01-01' as timestamp))"
        ~ ' from ' ~ this ~ ' as seen))'
    ) %}
{%- endif %}
{#- Candidates: every raw row of a dossier code found in a changed row (all of them, so
    the latest state is ranked over the dossier's whole history). The subqueries read the
    staging view, not the CTE dossier_rows: a CTE read twice is materialized (DuckDB,
    Postgres), which would copy every raw row of the history on each run. #}
{%- set staged_rows = ref('stg_exports__dossiers') %}
{%- set changed_codes = 'select changed.dossier_code from ' ~ staged_rows ~ ' as changed where ' ~ changed_rows %}
{%- set candidate_filter = ('where dossier_code in (' ~ changed_codes ~ ')') if can_increment else '' %}
{%- set partition_filter = '' %}
{#- Whole partitions (Spark): every dossier with a row in an affected month is ranked,
    and those whose latest state falls in one are written. #}
{%- if can_increment and fact_incremental_strategy() == 'insert_overwrite' %}
    {%- set affected_months = (
        '(select changed.partition_month from ' ~ staged_rows ~ ' as changed where ' ~ changed_rows
        ~ ' union select seen.source_partition_month from ' ~ this ~ ' as seen'
        ~ ' where seen.dossier_id in (' ~ changed_codes ~ '))'
    ) %}
    {%- set candidate_filter = (
        'where dossier_code in (select in_month.dossier_code from ' ~ staged_rows ~ ' as in_month'
        ~ ' where in_month.partition_month in ' ~ affected_months ~ ')'
    ) %}
    {%- set partition_filter = 'where partition_month in ' ~ affected_months %}
{%- endif %}
with

dossier_rows as (

    select * from {{ ref('stg_exports__dossiers') }}

),

agencies as (

    select * from {{ ref('dim_agencies') }}
    where not is_unknown

),

procedures as (

    select * from {{ ref('dim_procedures') }}
    where not is_unknown

),

fields as (

    select * from {{ ref('dim_fields') }}
    where not is_unknown

),

-- What this run has read: the next run re-derives files loaded after it.
manifest_read as (

    select max(loaded_at) as loaded_through_at
    from {{ ref('stg_exports__load_manifest') }}

),

candidate_rows as (

    select * from dossier_rows
    {{ candidate_filter }}

),

ranked as (

    {{ ranked_dossier_rows('candidate_rows') }}

),

latest_state as (

    select * from ranked
    where state_rank = 1

),

-- The agency version valid on the received date; when none is (a dossier received
-- after its agency was dissolved), the agency's latest version, flagged.
agency_versions as (

    select
        latest_state.dossier_code,
        agencies.agency_key,
        agencies.agency_id,
        cast(latest_state.received_at as date) >= agencies.valid_from_date
        and (
            agencies.valid_to_date is null
            or cast(latest_state.received_at as date) <= agencies.valid_to_date
        ) as is_agency_version_valid,
        row_number() over (
            partition by latest_state.dossier_code
            order by
                case
                    when
                        cast(latest_state.received_at as date) >= agencies.valid_from_date
                        and (
                            agencies.valid_to_date is null
                            or cast(latest_state.received_at as date) <= agencies.valid_to_date
                        )
                        then 0
                    else 1
                end,
                agencies.valid_from_date desc
        ) as version_rank
    from latest_state
    inner join agencies
        on latest_state.agency_code = agencies.agency_id

),

keyed as (

    select
        latest_state.*,
        coalesce(agency_versions.agency_key, 'unknown') as agency_key,
        coalesce(agency_versions.agency_id, 'unknown') as agency_id,
        coalesce(agency_versions.is_agency_version_valid, false) as is_agency_version_valid,
        coalesce(procedures.procedure_id, 'unknown') as procedure_id,
        coalesce(fields.field_id, procedures.field_id, 'unknown') as field_id
    from latest_state
    left join agency_versions
        on
            latest_state.dossier_code = agency_versions.dossier_code
            and agency_versions.version_rank = 1
    left join procedures
        on latest_state.procedure_code = procedures.procedure_id
    left join fields
        on latest_state.field_code = fields.field_id

),

classified as (

    select
        *,
        -- 3 not accepted, 7 withdrawn, 8 stopped: closed without a result.
        coalesce(status_code in (3, 7, 8), false) as is_returned_or_withdrawn,
        finished_at is not null
        and not coalesce(status_code in (3, 7, 8), false) as is_resolved
    from keyed

),

stamped as (

    select
        classified.*,
        manifest_read.loaded_through_at
    from classified
    cross join manifest_read

),

final as (

    select
        dossier_code as dossier_id,
        agency_key,
        agency_id,
        procedure_id,
        field_id,
        channel_code,
        status_code,
        cast(received_at as date) as received_date,
        cast(due_at as date) as due_date,
        cast(finished_at as date) as finished_date,
        {{ month_key('received_at') }} as received_month,
        {{ month_key('finished_at') }} as finished_month,
        received_at,
        due_at,
        finished_at,
        returned_at,
        coalesce(channel_code = 2, false) as is_online,
        coalesce(channel_code = 3, false) as is_postal,
        is_paid_online,
        coalesce(fee_amount > 0, false) as has_fee,
        fee_amount,
        is_resolved,
        is_returned_or_withdrawn,
        is_resolved and (due_at is null or finished_at <= due_at) as is_on_time,
        is_resolved and due_at is not null and finished_at > due_at as is_late,
        not is_resolved and not is_returned_or_withdrawn as is_pending,
        is_agency_version_valid,
        case
            when is_resolved then {{ days_between('received_at', 'finished_at') }}
        end as processing_days,
        source_row_count,
        partition_month as source_partition_month,
        file_sha256,
        source_file,
        source_row,
        loaded_through_at,
        '{{ invocation_id }}' as dbt_invocation_id,
        {{ run_started_timestamp() }} as dbt_updated_at
    from stamped
    {{ partition_filter }}

)

select * from final
