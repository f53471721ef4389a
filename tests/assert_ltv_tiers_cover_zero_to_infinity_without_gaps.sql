-- The ltv_tiers seed must tile [0, infinity): the first tier starts at 0, each
-- tier starts where the previous one ends, and only the last is open-ended.
-- (The original pipeline's BETWEEN tiers left gaps such as 499.995.)

with

ordered as (
    select
        ltv_tier,
        tier_order,
        min_lifetime_revenue,
        max_lifetime_revenue,
        lag(max_lifetime_revenue) over (order by tier_order) as previous_max,
        row_number() over (order by tier_order) as tier_position,
        count(*) over () as tier_count
    from {{ ref('ltv_tiers') }}
)

select *
from ordered
where (tier_position = 1 and min_lifetime_revenue <> 0)
    or (tier_position > 1 and (previous_max is null or min_lifetime_revenue <> previous_max))
    or (tier_position < tier_count and (max_lifetime_revenue is null or max_lifetime_revenue <= min_lifetime_revenue))
    or (tier_position = tier_count and max_lifetime_revenue is not null)
