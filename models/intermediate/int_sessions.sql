{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='session_id',
        on_schema_change='fail',
        pre_hook="{{ delete_all_if_files_replaced() }}"
    )
}}

-- the landing manifest and the files read, for the days of replaced files (incremental_batches.sql)
-- depends_on: {{ ref('stg_landed_files') }}
-- depends_on: {{ ref('stg_raw_files') }}

-- One row per session (stg_events.session_id): when it started and ended, what
-- happened in it, and whether it converted. The basis of fact_sessions,
-- dim_user and the funnels. An incremental run recomputes only the sessions
-- that received new events, from all of their events: those are no older than
-- the earliest start of such a session already stored, so only that window of
-- stg_events is read. A run after a replaced file rebuilds the table.

{%- set watermark = watermark_unless_files_replaced() %}
{%- set window_start = earliest_event_of_changed_sessions(watermark) %}

with

events as (

    select * from {{ ref('stg_events') }}
    {% if watermark is not none -%}
        where event_time >= cast('{{ window_start }}' as timestamp)
            and session_id in (
                select changed.session_id from {{ ref('stg_events') }} as changed
                where changed.loaded_in_run > {{ watermark }}
            )
    {%- endif %}

),

sessions as (

    select
        session_id,
        -- a session belongs to one user in the source; min() picks one
        -- deterministically should a session id ever be shared
        min(user_id) as user_id,
        min(event_time) as session_start,
        max(event_time) as session_end,
        count(*) as events,
        sum(case when event_type = 'view' then 1 else 0 end) as views,
        sum(case when event_type = 'cart' then 1 else 0 end) as carts,
        sum(case when event_type = 'purchase' then 1 else 0 end) as purchases,
        sum(case when event_type = 'purchase' then price else 0 end) as revenue,
        max(loaded_in_run) as loaded_in_run
    from events
    group by session_id

)

select
    session_id,
    user_id,
    session_start,
    session_end,
    cast(session_start as date) as session_date,
    {{ dbt.datediff('session_start', 'session_end', 'second') }} as duration_seconds,
    events,
    views,
    carts,
    purchases,
    revenue,
    purchases > 0 as is_converted,
    loaded_in_run
from sessions
