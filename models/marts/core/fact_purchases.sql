{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='purchase_id',
        partitioned_by=['day(purchased_at)'],
        incremental_predicates=merge_window_predicates('purchased_at'),
        pre_hook=[
            "{{ remember_batch_days(ref('stg_events'), 'purchased_at') }}",
            "{{ delete_days_of_replaced_files('purchased_at') }}",
        ],
        on_schema_change='fail'
    )
}}

-- the landing manifest and the files read, for the days of replaced files (incremental_batches.sql)
-- depends_on: {{ ref('stg_landed_files') }}
-- depends_on: {{ ref('stg_raw_files') }}

-- One row per purchase (a purchase event after duplicates are removed), with
-- the order it belongs to. The order definition lives here and only here.
-- An incremental run recomputes the days on which stg_events changed (the days
-- a replaced file covered are emptied first).

{%- set changed_days = days_changed_since_last_run(ref('stg_events')) %}

with

purchase_events as (

    select * from {{ ref('stg_events') }}
    where event_type = 'purchase'
        {% if changed_days is not none -%}
            and {{ is_one_of_days('event_date', changed_days) }}
        {%- endif %}

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
    user_session,

    ---------- lineage
    loaded_in_run

from with_orders
