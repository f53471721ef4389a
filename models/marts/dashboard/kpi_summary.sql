-- The dashboard's KPI row: one row over all customers.

with

customers as (

    select * from {{ ref('user_ltv') }}

),

totals as (

    select
        sum(lifetime_revenue) as lifetime_revenue,
        count(*) as total_customers,
        sum(case when is_repeat_customer then 1 else 0 end) as repeat_customers
    from customers

)

select
    cast(coalesce(lifetime_revenue, 0) as decimal(18, 2)) as lifetime_revenue,
    cast(total_customers as bigint) as total_customers,
    {{ divide_to_cents('lifetime_revenue', 'total_customers') }} as avg_customer_ltv,
    cast(coalesce(repeat_customers, 0) as bigint) as repeat_customers
from totals
