-- Decision 766/QD-TTg (2022) indicators that dossier data supports, per reporting year
-- of the province. Formula per row: points = max_points * least(numerator /
-- denominator / full_points_share, 1); no points when the denominator is 0.
with

dossiers as (

    select * from {{ ref('int_dossiers_reporting_years') }}

),

procedures as (

    select * from {{ ref('dim_procedures') }}
    where not is_unknown

),

intake as (

    select
        received_reporting_year as reporting_year,
        count(*) as dossiers_received,
        sum(case when is_online then 1 else 0 end) as dossiers_online,
        sum(case when has_fee then 1 else 0 end) as dossiers_with_fee,
        sum(case when is_paid_online then 1 else 0 end) as dossiers_paid_online
    from dossiers
    where received_reporting_year is not null
    group by received_reporting_year

),

outcomes as (

    select
        finished_reporting_year as reporting_year,
        sum(case when is_resolved then 1 else 0 end) as dossiers_resolved,
        sum(case when is_on_time then 1 else 0 end) as dossiers_on_time
    from dossiers
    where finished_reporting_year is not null
    group by finished_reporting_year

),

catalog as (

    select
        count(*) as procedures_in_catalog,
        sum(case when is_online_enabled then 1 else 0 end) as procedures_online_enabled
    from procedures

),

yearly as (

    select
        intake.reporting_year,
        intake.dossiers_received,
        intake.dossiers_online,
        intake.dossiers_with_fee,
        intake.dossiers_paid_online,
        coalesce(outcomes.dossiers_resolved, 0) as dossiers_resolved,
        coalesce(outcomes.dossiers_on_time, 0) as dossiers_on_time,
        catalog.procedures_in_catalog,
        catalog.procedures_online_enabled
    from intake
    cross join catalog
    left join outcomes
        on intake.reporting_year = outcomes.reporting_year

),

indicators as (

    -- group 2, processing progress (20): dossiers resolved by their due date / resolved
    select
        reporting_year,
        'processing_progress' as indicator_code,
        2 as indicator_group,
        'processing progress' as indicator_group_name,
        20 as max_points,
        1.0 as full_points_share,
        dossiers_on_time as numerator,
        dossiers_resolved as denominator
    from yearly
    union all
    -- group 3, online public services (12 = 6 + 6): procedures offered online
    -- (service level 3 or 4) / procedures in the catalog
    select
        reporting_year,
        'online_procedures' as indicator_code,
        3 as indicator_group,
        'online public services' as indicator_group_name,
        6 as max_points,
        1.0 as full_points_share,
        procedures_online_enabled as numerator,
        procedures_in_catalog as denominator
    from yearly
    union all
    -- group 3: dossiers filed online / dossiers received; full points at 50 %
    select
        reporting_year,
        'online_dossiers' as indicator_code,
        3 as indicator_group,
        'online public services' as indicator_group_name,
        6 as max_points,
        0.5 as full_points_share,
        dossiers_online as numerator,
        dossiers_received as denominator
    from yearly
    union all
    -- group 4, online payment (10): dossiers paid online / dossiers with a fee
    select
        reporting_year,
        'online_payment' as indicator_code,
        4 as indicator_group,
        'online payment' as indicator_group_name,
        10 as max_points,
        1.0 as full_points_share,
        dossiers_paid_online as numerator,
        dossiers_with_fee as denominator
    from yearly
    union all
    -- group 6, digitisation (22): dossiers whose components arrived digitally (filed
    -- online) / dossiers received; a lower bound, the exports carry no flag for
    -- digitised paper components or electronic results
    select
        reporting_year,
        'digitisation' as indicator_code,
        6 as indicator_group,
        'digitisation' as indicator_group_name,
        22 as max_points,
        1.0 as full_points_share,
        dossiers_online as numerator,
        dossiers_received as denominator
    from yearly

),

final as (

    select
        cast(reporting_year as {{ dbt.type_string() }}) || '-' || indicator_code as indicator_year_id,
        '{{ var("province_name") }}' as province_name,
        reporting_year,
        indicator_code,
        indicator_group,
        indicator_group_name,
        max_points,
        cast(full_points_share as decimal(6, 4)) as full_points_share,
        cast(numerator as bigint) as numerator,
        cast(denominator as bigint) as denominator,
        case
            when denominator > 0
                then cast(
                    round(
                        cast(
                            max_points * least(1.0 * numerator / denominator / full_points_share, 1.0)
                            as decimal(18, 6)
                        ),
                        2
                    ) as decimal(8, 2)
                )
        end as points
    from indicators

)

select * from final
