{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='product_id',
        on_schema_change='fail',
        pre_hook="{{ delete_all_if_files_replaced() }}"
    )
}}

-- the landing manifest and the files read, for the days of replaced files (incremental_batches.sql)
-- depends_on: {{ ref('stg_landed_files') }}
-- depends_on: {{ ref('stg_raw_files') }}

-- One row per product: the attributes of its latest event (latest event_time,
-- then the largest event_id), the range of prices it was seen at, and when it
-- was first and last seen. Every measure here is a latest, a min or a max, so
-- an incremental run folds the new events into the stored row of each product
-- they touch instead of reading every event again. A run after a replaced
-- file rebuilds the table (a fold cannot take an event back out).

{%- set watermark = watermark_unless_files_replaced() %}

with

new_events as (

    select * from {{ ref('stg_events') }}
    {% if watermark is not none -%}
        where loaded_in_run > {{ watermark }}
    {%- endif %}

),

new_rows as (

    -- each new event as the row of a product seen once, folded below with
    -- the stored rows of the products it touches
    select
        product_id,
        event_time as last_seen_at,
        event_id as latest_event_id,
        category_id,
        brand,
        price as current_price,
        price as min_price,
        price as max_price,
        event_time as first_seen_at,
        loaded_in_run
    from new_events

),

candidates as (

    select * from new_rows
    {% if watermark is not none -%}
        union all
        -- the products' rows as they were before this run (none on a full build)
        select
            product_id,
            last_seen_at,
            latest_event_id,
            category_id,
            brand,
            current_price,
            min_price,
            max_price,
            first_seen_at,
            loaded_in_run
        from {{ this }}
        where product_id in (select new_events.product_id from new_events)
    {%- endif %}

),

folded as (

    select
        product_id,
        max(last_seen_at) as last_seen_at,
        {{ value_at_max('latest_event_id', 'row(last_seen_at, latest_event_id)') }} as latest_event_id,
        {{ value_at_max('category_id', 'row(last_seen_at, latest_event_id)') }} as category_id,
        {{ value_at_max('brand', 'row(last_seen_at, latest_event_id)') }} as brand,
        {{ value_at_max('current_price', 'row(last_seen_at, latest_event_id)') }} as current_price,
        min(min_price) as min_price,
        max(max_price) as max_price,
        min(first_seen_at) as first_seen_at,
        max(loaded_in_run) as loaded_in_run
    from candidates
    group by product_id

)

select
    product_id,
    category_id,
    brand,
    current_price,
    min_price,
    max_price,
    first_seen_at,
    last_seen_at,
    latest_event_id,
    loaded_in_run
from folded
