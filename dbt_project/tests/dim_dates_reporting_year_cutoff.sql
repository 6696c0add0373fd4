-- Khanh Hoa's reporting year N runs 15 Dec N-1 to 14 Dec N (var reporting_year_start):
-- the days around the cut-off must fall on the right side of it.
with

dates as (

    select * from {{ ref('dim_dates') }}

),

expected as (

    select cast('2019-12-14' as date) as date_id, 2019 as reporting_year
    union all select cast('2019-12-15' as date), 2020
    union all select cast('2020-01-01' as date), 2020
    union all select cast('2020-12-14' as date), 2020
    union all select cast('2020-12-15' as date), 2021

),

final as (

    select
        expected.date_id,
        expected.reporting_year as expected_reporting_year,
        dates.reporting_year
    from expected
    left join dates
        on expected.date_id = dates.date_id
    where
        {% if var('reporting_year_start') == '12-15' %}
        dates.reporting_year is null
        or dates.reporting_year <> expected.reporting_year
        {% else %}
        1 = 0
        {% endif %}

)

select * from final
