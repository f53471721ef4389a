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
        -- an order is a session with at least one purchase (stg_events gives
        -- a purchase without a session a session of its own)
        session_id as order_id
    from purchase_events

)

select

    ---------- keys
    event_id as purchase_id,
    order_id,
    user_id,
    product_id,
    category_id,
    cast(event_time as date) as purchase_date,

    ---------- when (UTC)
    event_time as purchased_at,
    cast(date_trunc('month', event_time) as date) as month_start,

    ---------- what, as recorded on the purchase
    category_code,
    brand,
    price,
    user_session

from with_orders
