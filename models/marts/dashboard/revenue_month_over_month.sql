-- Revenue by month with the change from the month before (the dashboard's
-- month-over-month visual). The first month has no previous month.

with

monthly as (

    select * from {{ ref('fact_monthly_summary') }}

),

with_previous as (

    select
        month_start,
        revenue,
        orders,
        customers,
        lag(revenue) over (order by month_start) as previous_month_revenue
    from monthly

)

select
    month_start,
    revenue,
    cast(orders as bigint) as orders,
    cast(customers as bigint) as customers,
    cast(previous_month_revenue as decimal(18, 2)) as previous_month_revenue,
    cast(revenue - previous_month_revenue as decimal(18, 2)) as revenue_change,
    {{ safe_ratio('revenue - previous_month_revenue', 'previous_month_revenue') }} as revenue_change_ratio
from with_previous
