-- One row per purchase (a purchase event after duplicates are removed), with
-- the order it belongs to. The order definition lives here and only here.

with

purchase_events as (

    select * from {{ ref('stg_events') }}
    where event_type = 'purchase'

),

with_orders as (

    select
        *,
        -- an order is a session with at least one purchase; a purchase
        -- without a session is an order of its own
        coalesce(user_session, concat('no-session-', event_id)) as order_id
    from purchase_events

)

select

    ---------- keys
    event_id as purchase_id,
    order_id,
    user_id,
    product_id,
    category_id,

    ---------- when (UTC)
    event_time as purchased_at,
    cast(event_time as date) as purchase_date,
    cast(date_trunc('month', event_time) as date) as month_start,

    ---------- what
    category_code,
    brand,
    price,
    user_session

from with_orders
