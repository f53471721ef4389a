-- Revenue by ISO weekday within each month (the dashboard's weekday-by-month visual).

with

purchases as (

    select * from {{ ref('fact_purchases') }}

),

calendar as (

    select * from {{ ref('dim_time') }}

),

by_weekday as (

    select
        calendar.month_start,
        calendar.iso_weekday,
        calendar.weekday_name,
        sum(purchases.price) as revenue,
        count(*) as purchases
    from purchases
    inner join calendar on purchases.purchase_date = calendar.date_day
    group by calendar.month_start, calendar.iso_weekday, calendar.weekday_name

)

select
    month_start,
    cast(iso_weekday as integer) as iso_weekday,
    weekday_name,
    cast(revenue as decimal(18, 2)) as revenue,
    cast(purchases as bigint) as purchases
from by_weekday
