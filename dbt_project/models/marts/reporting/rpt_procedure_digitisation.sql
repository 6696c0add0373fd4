-- Procedures the catalog offers online (service level 3 or 4) against the dossiers
-- actually filed online for them, per reporting year. Every catalogued procedure gets
-- a row for every reporting year that has dossiers, so an online-enabled procedure
-- nobody files online shows up with zeros. Each year carries how much of it the loaded
-- exports cover (int_dates_grouped_by_reporting_year).
with

yearly as (

    select * from {{ ref('int_dossier_activity_summed_by_year') }}

),

procedures as (

    select * from {{ ref('dim_procedures') }}

),

periods as (

    select * from {{ ref('int_dates_grouped_by_reporting_year') }}

),

intake as (

    select
        procedure_id,
        reporting_year,
        {{ sum_activity_measures() }}
    from yearly
    group by procedure_id, reporting_year

),

years as (

    select distinct reporting_year
    from intake
    where dossiers_received > 0

),

procedure_years as (

    select
        procedures.procedure_id,
        years.reporting_year
    from procedures
    cross join years

),

final as (

    select
        procedure_years.procedure_id || '-' || cast(procedure_years.reporting_year as {{ dbt.type_string() }})
            as procedure_year_id,
        procedure_years.procedure_id,
        procedure_years.reporting_year,
        periods.days_covered,
        periods.days_in_period,
        periods.coverage_ratio,
        periods.is_complete,
        procedures.procedure_name,
        procedures.field_id,
        procedures.field_name,
        procedures.procedure_level,
        procedures.service_level,
        procedures.is_online_enabled,
        procedures.is_fully_online,
        procedures.is_online_payment_enabled,
        procedures.is_postal_enabled,
        cast(coalesce(intake.dossiers_received, 0) as bigint) as dossiers_received,
        cast(coalesce(intake.dossiers_online, 0) as bigint) as dossiers_online,
        cast(coalesce(intake.dossiers_postal, 0) as bigint) as dossiers_postal,
        cast(coalesce(intake.dossiers_with_fee, 0) as bigint) as dossiers_with_fee,
        cast(coalesce(intake.dossiers_paid_online, 0) as bigint) as dossiers_paid_online,
        coalesce(intake.dossiers_online, 0) > 0 as has_online_dossiers
    from procedure_years
    inner join procedures
        on procedure_years.procedure_id = procedures.procedure_id
    left join periods
        on procedure_years.reporting_year = periods.reporting_year
    left join intake
        on
            procedure_years.procedure_id = intake.procedure_id
            and procedure_years.reporting_year = intake.reporting_year

)

select * from final
