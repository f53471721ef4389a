-- Dashboard: customers per LTV tier (donut), every tier included.
select
    ltv_tier,
    customers,
    share_of_customers,
    revenue
from {{ ref('customers_by_ltv_tier') }}
order by ltv_tier_order
