-- The dashboard's KPI row: one row over all purchases.

with

purchases as (

    select * from {{ ref('fact_purchases') }}

),

orders_per_customer as (

    select
        user_id,
        count(distinct order_id) as orders
    from purchases
    group by user_id

),

revenue as (

    select sum(price) as lifetime_revenue
    from purchases

),

customers as (

    select
        count(*) as total_customers,
        sum(case when orders >= 2 then 1 else 0 end) as repeat_customers
    from orders_per_customer

)

select
    cast(coalesce(revenue.lifetime_revenue, 0) as decimal(18, 2)) as lifetime_revenue,
    cast(customers.total_customers as bigint) as total_customers,
    {{ divide_to_cents('revenue.lifetime_revenue', 'customers.total_customers') }} as avg_customer_ltv,
    cast(coalesce(customers.repeat_customers, 0) as bigint) as repeat_customers
from revenue
cross join customers
