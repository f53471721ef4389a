-- One row per customer (a user with at least one purchase): lifetime revenue,
-- purchases, orders and LTV tier. Tiers come from the ltv_tiers seed as
-- half-open ranges [min, max), so every value has exactly one tier and
-- editing the seed re-tiers customers with no SQL change.

with

purchases as (

    select * from {{ ref('fact_purchases') }}

),

tiers as (

    select * from {{ ref('ltv_tiers') }}

),

customers as (

    select
        user_id,
        sum(price) as lifetime_revenue,
        count(*) as purchases,
        count(distinct order_id) as orders,
        min(purchased_at) as first_purchase_at,
        max(purchased_at) as last_purchase_at
    from purchases
    group by user_id

),

tiered as (

    select
        customers.*,
        tiers.ltv_tier,
        tiers.tier_order
    from customers
    left join tiers
        on customers.lifetime_revenue >= tiers.min_lifetime_revenue
        and (
            tiers.max_lifetime_revenue is null
            or customers.lifetime_revenue < tiers.max_lifetime_revenue
        )

)

select
    user_id,
    cast(lifetime_revenue as decimal(18, 2)) as lifetime_revenue,
    cast(purchases as bigint) as purchases,
    cast(orders as bigint) as orders,
    first_purchase_at,
    last_purchase_at,
    ltv_tier,
    cast(tier_order as integer) as ltv_tier_order,
    orders >= 2 as is_repeat_customer
from tiered
