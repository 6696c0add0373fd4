-- Decision 766/QD-TTg (2022) indicators that dossier data supports, per reporting year
-- of the province with dossiers: each indicator scores one defined metric (seed
-- decision_766_indicators, from ingest/metric_definitions.yml). Formula per row:
-- points = max_points * least(numerator / denominator / full_points_share, 1); no
-- points when the denominator is 0. A year the exports do not cover completely
-- (is_complete false) keeps its points, marked so, and gets no rank: points_rank orders
-- the complete years of an indicator only.
with

metrics as (

    select * from {{ ref('rpt_province_year_metrics') }}

),

indicators as (

    select * from {{ ref('decision_766_indicators') }}

),

years_with_dossiers as (

    select reporting_year
    from {{ ref('rpt_province_year_scorecard') }}
    where dossiers_received > 0

),

scored as (

    select
        cast(metrics.reporting_year as {{ dbt.type_string() }}) || '-' || indicators.indicator_code
            as indicator_year_id,
        metrics.province_name,
        metrics.province_name_ascii,
        metrics.reporting_year,
        metrics.days_covered,
        metrics.days_in_period,
        metrics.coverage_ratio,
        metrics.is_complete,
        indicators.indicator_code,
        indicators.indicator_group,
        indicators.indicator_group_name,
        indicators.metric_id,
        indicators.max_points,
        cast(indicators.full_points_share as decimal(6, 4)) as full_points_share,
        cast(metrics.numerator as bigint) as numerator,
        cast(metrics.denominator as bigint) as denominator,
        metrics.metric_value,
        case
            when metrics.denominator > 0
                then cast(
                    round(
                        cast(
                            indicators.max_points
                            * least(1.0 * metrics.numerator / metrics.denominator / indicators.full_points_share, 1.0)
                            as decimal(18, 6)
                        ),
                        2
                    ) as decimal(8, 2)
                )
        end as points
    from indicators
    inner join metrics
        on indicators.metric_id = metrics.metric_id
    inner join years_with_dossiers
        on metrics.reporting_year = years_with_dossiers.reporting_year

),

final as (

    select
        *,
        case
            when is_complete and points is not null
                then cast(rank() over (
                    partition by indicator_code, is_complete and points is not null
                    order by points desc
                ) as integer)
        end as points_rank
    from scored

)

select * from final
