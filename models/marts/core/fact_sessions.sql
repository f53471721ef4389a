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

-- One row per session, for session-level analysis (duration, depth, conversion).
-- An incremental run merges the sessions int_sessions changed since; a run
-- after a replaced file rebuilds the table.

{%- set watermark = watermark_unless_files_replaced() %}

with

sessions as (

    select * from {{ ref('int_sessions') }}
    {% if watermark is not none -%}
        where loaded_in_run > {{ watermark }}
    {%- endif %}

)

select
    ---------- keys
    session_id,
    user_id,
    session_date,

    ---------- when
    session_start,
    session_end,
    cast(duration_seconds as bigint) as duration_seconds,

    ---------- what happened
    cast(events as bigint) as events,
    cast(views as bigint) as views,
    cast(carts as bigint) as carts,
    cast(purchases as bigint) as purchases,
    cast(revenue as decimal(18, 2)) as revenue,
    is_converted,

    ---------- lineage
    loaded_in_run
from sessions
