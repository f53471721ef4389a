-- Every customer in fact_purchases appears once in user_ltv, in exactly one
-- tier of the seed, and the tier counts add up to kpi_summary.total_customers.

with

customers as (
    select distinct user_id from {{ ref('fact_purchases') }}
),

tiers as (
    select * from {{ ref('ltv_tiers') }}
),

tier_matches as (
    -- re-derive the tier from the seed's ranges, independently of user_ltv's join
    select
        user_ltv.user_id,
        count(tiers.ltv_tier) as matching_tiers,
        max(tiers.ltv_tier) as matching_tier,
        max(user_ltv.ltv_tier) as assigned_tier
    from {{ ref('user_ltv') }} as user_ltv
    left join tiers
        on user_ltv.lifetime_revenue >= tiers.min_lifetime_revenue
        and (tiers.max_lifetime_revenue is null or user_ltv.lifetime_revenue < tiers.max_lifetime_revenue)
    group by user_ltv.user_id
),

problems as (
    select 'customer missing from user_ltv' as problem, customers.user_id
    from customers
    left join tier_matches on customers.user_id = tier_matches.user_id
    where tier_matches.user_id is null

    union all

    select 'not exactly one matching tier' as problem, user_id
    from tier_matches
    where matching_tiers <> 1 or assigned_tier is null or assigned_tier <> matching_tier

    union all

    select 'tier counts differ from kpi_summary.total_customers' as problem, null as user_id
    from (select sum(customers) as tiered from {{ ref('customers_by_ltv_tier') }}) as tiered
    cross join {{ ref('kpi_summary') }} as kpi
    where tiered.tiered <> kpi.total_customers
)

select * from problems
