-- One row per user seen in any event: activity derived from sessions, and the
-- customer attributes from user_ltv (NULL lifetime figures for non-customers).

with

sessions as (

    select * from {{ ref('int_sessions') }}

),

customers as (

    select * from {{ ref('user_ltv') }}

),

activity as (

    select
        user_id,
        min(session_start) as first_seen_at,
        max(session_end) as last_seen_at,
        count(*) as sessions,
        sum(views) as views,
        sum(carts) as carts,
        sum(purchases) as purchases,
        sum(case when is_converted then 1 else 0 end) as converted_sessions
    from sessions
    group by user_id

)

select
    activity.user_id,
    activity.first_seen_at,
    activity.last_seen_at,
    cast(activity.first_seen_at as date) as first_seen_date,
    cast(activity.sessions as bigint) as sessions,
    cast(activity.views as bigint) as views,
    cast(activity.carts as bigint) as carts,
    cast(activity.purchases as bigint) as purchases,
    customers.user_id is not null as is_customer,
    coalesce(customers.is_repeat_customer, false) as is_repeat_customer,
    customers.orders,
    customers.lifetime_revenue,
    customers.ltv_tier,
    customers.first_purchase_at
from activity
left join customers on activity.user_id = customers.user_id
