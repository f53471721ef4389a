-- The conversion funnel per day: events at each step and the session conversion.

with

product_days as (

    select * from {{ ref('int_product_days') }}

),

sessions as (

    select * from {{ ref('int_sessions') }}

),

events_by_day as (

    select
        event_date as date_day,
        {{ funnel_totals() }}
    from product_days
    group by event_date

),

sessions_by_day as (

    select
        session_date as date_day,
        count(*) as sessions,
        sum(case when is_converted then 1 else 0 end) as converted_sessions
    from sessions
    group by session_date

)

select
    events_by_day.date_day,
    {{ funnel_rates() }},
    cast(coalesce(sessions_by_day.sessions, 0) as bigint) as sessions,
    cast(coalesce(sessions_by_day.converted_sessions, 0) as bigint) as converted_sessions,
    {{ safe_ratio('sessions_by_day.converted_sessions', 'sessions_by_day.sessions') }} as session_conversion_rate
from events_by_day
left join sessions_by_day on events_by_day.date_day = sessions_by_day.date_day
