-- A portable date spine (no recursive CTE, no engine-specific generator): the numbers
-- 0..9999 from four cross-joined digit sets, added as days to the first date.
-- The reporting year follows the province's cut-off (var reporting_year_start,
-- month-day on which reporting year N begins in year N-1; '01-01' = calendar year).
{%- set first_date = var('date_spine_start') %}
{%- set last_date = var('date_spine_end') %}
{%- set cutoff_month = var('reporting_year_start').split('-')[0] | int %}
{%- set cutoff_day = var('reporting_year_start').split('-')[1] | int %}
{%- set is_calendar_year = cutoff_month == 1 and cutoff_day == 1 %}
{#- days on or after this month*100+day belong to the next reporting year (never for
    a calendar year); the period starts in year N-1, or in N for a calendar year #}
{%- set next_year_from = 9999 if is_calendar_year else cutoff_month * 100 + cutoff_day %}
{%- set start_year_offset = 0 if is_calendar_year else 1 %}
with

digits as (

    select 0 as digit
    union all
    select 1 as digit
    union all
    select 2 as digit
    union all
    select 3 as digit
    union all
    select 4 as digit
    union all
    select 5 as digit
    union all
    select 6 as digit
    union all
    select 7 as digit
    union all
    select 8 as digit
    union all
    select 9 as digit

),

day_numbers as (

    select
        thousands.digit * 1000
        + hundreds.digit * 100
        + tens.digit * 10
        + units.digit as day_number
    from digits as thousands
    cross join digits as hundreds
    cross join digits as tens
    cross join digits as units

),

spine as (

    select {{ add_days("cast('" ~ first_date ~ "' as date)", 'day_number') }} as date_id
    from day_numbers

),

calendar_parts as (

    select
        date_id,
        cast(extract(year from date_id) as integer) as year_number,
        cast(extract(quarter from date_id) as integer) as quarter_number,
        cast(extract(month from date_id) as integer) as month_number,
        cast(extract(day from date_id) as integer) as day_of_month_number,
        {{ iso_day_of_week('date_id') }} as iso_day_of_week_number
    from spine
    where date_id <= cast('{{ last_date }}' as date)

),

reporting as (

    select
        *,
        case
            when month_number * 100 + day_of_month_number >= {{ next_year_from }}
                then year_number + 1
            else year_number
        end as reporting_year
    from calendar_parts

),

known as (

    select
        date_id,
        year_number,
        quarter_number,
        month_number,
        day_of_month_number,
        iso_day_of_week_number,
        {{ month_key('date_id') }} as month_start_date,
        iso_day_of_week_number >= 6 as is_weekend,
        reporting_year,
        make_date(
            reporting_year - {{ start_year_offset }}, {{ cutoff_month }}, {{ cutoff_day }}
        ) as reporting_period_start_date,
        {{ add_days(
            'make_date(reporting_year + 1 - ' ~ start_year_offset ~ ', ' ~ cutoff_month ~ ', ' ~ cutoff_day ~ ')',
            -1,
        ) }} as reporting_period_end_date,
        false as is_unknown
    from reporting

),

unknown_member as (

    select
        cast('1900-01-01' as date) as date_id,
        cast(null as integer) as year_number,
        cast(null as integer) as quarter_number,
        cast(null as integer) as month_number,
        cast(null as integer) as day_of_month_number,
        cast(null as integer) as iso_day_of_week_number,
        cast(null as date) as month_start_date,
        false as is_weekend,
        cast(null as integer) as reporting_year,
        cast(null as date) as reporting_period_start_date,
        cast(null as date) as reporting_period_end_date,
        true as is_unknown

),

final as (

    select * from known
    union all
    select * from unknown_member

)

select * from final
