{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key=['event_date', 'product_id', 'category_id', 'brand_name'],
        partitioned_by=['event_date'],
        incremental_predicates=merge_window_predicates('event_date'),
        pre_hook=[
            "{{ remember_batch_days(ref('stg_events'), 'event_date', 'date') }}",
            "{{ delete_days_of_replaced_files('event_date', 'date') }}",
        ],
        on_schema_change='fail'
    )
}}

-- the landing manifest and the files read, for the days of replaced files (incremental_batches.sql)
-- depends_on: {{ ref('stg_landed_files') }}
-- depends_on: {{ ref('stg_raw_files') }}

-- The funnel's counts per day, product, category and brand as recorded on the
-- events: a compact daily aggregate (tens of rows per product instead of one
-- per event) from which the product, category, brand and daily funnel marts
-- are summed. An incremental run recomputes the days that received new events
-- (the days a replaced file covered are emptied first).

{%- set changed_days = days_changed_since_last_run(ref('stg_events')) %}

with

events as (

    select * from {{ ref('stg_events') }}
    {% if changed_days is not none -%}
        where {{ is_one_of_days('event_date', changed_days) }}
    {%- endif %}

),

daily as (

    select
        event_date,
        product_id,
        category_id,
        coalesce(brand, 'unknown') as brand_name,
        -- a category_id carries one code in the source; max() picks one
        -- deterministically should it ever carry two
        max(category_code) as category_code,
        count(*) as events,
        {{ funnel_counts() }},
        max(loaded_in_run) as loaded_in_run
    from events
    group by event_date, product_id, category_id, coalesce(brand, 'unknown')

)

select
    event_date,
    product_id,
    category_id,
    brand_name,
    category_code,
    cast(events as bigint) as events,
    cast(views as bigint) as views,
    cast(carts as bigint) as carts,
    cast(purchases as bigint) as purchases,
    cast(revenue as decimal(18, 2)) as revenue,
    loaded_in_run
from daily
