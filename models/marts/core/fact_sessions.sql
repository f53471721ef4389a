-- One row per session, for session-level analysis (duration, depth, conversion).

with

sessions as (

    select * from {{ ref('int_sessions') }}

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
    is_converted
from sessions
