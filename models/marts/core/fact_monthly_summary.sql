-- Revenue, purchases, orders and customers per calendar month (UTC).
-- An order is counted in each month it has a purchase in.

with

purchases as (

    select * from {{ ref('fact_purchases') }}

),

monthly as (

    select
        month_start,
        sum(price) as revenue,
        count(*) as purchases,
        count(distinct order_id) as orders,
        count(distinct user_id) as customers
    from purchases
    group by month_start

)

select
    month_start,
    cast(revenue as decimal(18, 2)) as revenue,
    cast(purchases as bigint) as purchases,
    cast(orders as bigint) as orders,
    cast(customers as bigint) as customers,
    {{ divide_to_cents('revenue', 'orders') }} as avg_order_value
from monthly
