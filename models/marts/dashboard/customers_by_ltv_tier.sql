-- Customers and revenue per LTV tier (the dashboard's donut). Every tier of the
-- seed appears, with zero customers if none fall in it.

with

tiers as (

    select * from {{ ref('ltv_tiers') }}

),

customers as (

    select * from {{ ref('user_ltv') }}

),

by_tier as (

    select
        tiers.ltv_tier,
        tiers.tier_order,
        count(customers.user_id) as customers,
        coalesce(sum(customers.lifetime_revenue), 0) as revenue
    from tiers
    left join customers on tiers.ltv_tier = customers.ltv_tier
    group by tiers.ltv_tier, tiers.tier_order

)

select
    ltv_tier,
    cast(tier_order as integer) as ltv_tier_order,
    cast(customers as bigint) as customers,
    cast(revenue as decimal(18, 2)) as revenue,
    {{ safe_ratio('customers', 'sum(customers) over ()') }} as share_of_customers
from by_tier
