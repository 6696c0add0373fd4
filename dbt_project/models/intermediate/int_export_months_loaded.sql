-- The dossier export months present in the warehouse: a month an agency's export was
-- loaded for (its partition in raw) covers every day of the month, whether or not a
-- dossier happened on each. What "data present" means for period coverage
-- (macros/coverage.sql).
with

dossier_rows as (

    select * from {{ ref('stg_exports__dossiers') }}

),

partitions as (

    select distinct
        partition_agency_code,
        partition_month
    from dossier_rows

),

months as (

    select
        partition_agency_code,
        partition_month,
        cast(partition_month || '-01' as date) as month_start_date
    from partitions

),

final as (

    select
        partition_agency_code || '-' || partition_month as agency_month_id,
        partition_agency_code as agency_id,
        partition_month,
        month_start_date,
        {{ add_days('cast(' ~ dbt.dateadd('month', 1, 'month_start_date') ~ ' as date)', -1) }} as month_end_date
    from months

)

select * from final
