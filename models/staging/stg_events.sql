{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='event_id',
        partitioned_by=['day(event_time)'],
        incremental_predicates=merge_window_predicates('event_time'),
        on_schema_change='fail'
    )
}}

-- Accepted clickstream events, one row per distinct raw line: exact duplicate
-- rows (the same line landed twice, or repeated inside a file) are kept once.
-- An incremental run adds the days from the latest loaded one onwards.

{%- set since_day = incremental_since('cast(event_time as date)') %}

with

accepted_lines as (

    select * from {{ ref('stg_event_lines') }}
    where is_accepted
        {% if since_day is not none -%}
            and event_time >= cast(date '{{ since_day }}' as timestamp)
        {%- endif %}

),

ranked_copies as (

    -- the same line landed in two months' folders is still one event
    select
        *,
        row_number() over (
            partition by event_id
            order by source_period, source_file
        ) as copy_number
    from accepted_lines

)

select

    ---------- ids
    event_id,
    user_id,
    product_id,
    category_id,
    user_session,
    -- the session the event belongs to; an event without a user_session is a
    -- session of its own, so a purchase without one is an order of its own
    coalesce(user_session, concat('no-session-', event_id)) as session_id,

    ---------- event
    event_time,
    event_type,

    ---------- product attributes as seen on the event
    category_code,
    brand,
    price,

    ---------- lineage
    source_file

from ranked_copies
where copy_number = 1
