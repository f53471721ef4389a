-- Revenue is the same wherever it is reported: the purchases fact, the KPI row,
-- the monthly summary, the customers' lifetime revenue, the LTV tiers, the
-- weekday, brand and category marts, and the sessions. Returns a row per
-- mart that disagrees with fact_purchases.

with

purchases as (
    select coalesce(sum(price), 0) as revenue from {{ ref('fact_purchases') }}
),

reported as (
    select 'kpi_summary' as mart, lifetime_revenue as revenue from {{ ref('kpi_summary') }}
    union all
    select 'fact_monthly_summary' as mart, coalesce(sum(revenue), 0) as revenue from {{ ref('fact_monthly_summary') }}
    union all
    select 'user_ltv' as mart, coalesce(sum(lifetime_revenue), 0) as revenue from {{ ref('user_ltv') }}
    union all
    select 'customers_by_ltv_tier' as mart, coalesce(sum(revenue), 0) as revenue from {{ ref('customers_by_ltv_tier') }}
    union all
    select 'revenue_by_weekday' as mart, coalesce(sum(revenue), 0) as revenue from {{ ref('revenue_by_weekday') }}
    union all
    select 'revenue_by_brand' as mart, coalesce(sum(revenue), 0) as revenue from {{ ref('revenue_by_brand') }}
    union all
    select 'revenue_by_category' as mart, coalesce(sum(revenue), 0) as revenue from {{ ref('revenue_by_category') }}
    union all
    select 'fact_sessions' as mart, coalesce(sum(revenue), 0) as revenue from {{ ref('fact_sessions') }}
    union all
    select 'funnel_daily' as mart, coalesce(sum(revenue), 0) as revenue from {{ ref('funnel_daily') }}
)

select
    reported.mart,
    reported.revenue as mart_revenue,
    purchases.revenue as fact_purchases_revenue
from reported
cross join purchases
where reported.revenue <> purchases.revenue
