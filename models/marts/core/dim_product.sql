-- One row per product: its current attributes (as on its latest event) and the
-- range of prices it was seen at. The price history is in the
-- product_attributes snapshot.

with

events as (

    select * from {{ ref('stg_events') }}

),

latest_first as (

    select
        product_id,
        category_id,
        brand,
        price,
        row_number() over (
            partition by product_id
            order by event_time desc, event_id desc
        ) as recency
    from events

),

latest as (

    select product_id, category_id, brand, price
    from latest_first
    where recency = 1

),

seen as (

    select
        product_id,
        min(event_time) as first_seen_at,
        max(event_time) as last_seen_at,
        min(price) as min_price,
        max(price) as max_price
    from events
    group by product_id

)

select
    latest.product_id,
    latest.category_id,
    latest.brand,
    coalesce(latest.brand, 'unknown') as brand_name,
    latest.price as current_price,
    seen.min_price,
    seen.max_price,
    seen.first_seen_at,
    seen.last_seen_at
from latest
inner join seen on latest.product_id = seen.product_id
