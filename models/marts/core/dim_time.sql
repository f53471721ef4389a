-- Calendar dimension at the grain of one day (UTC), covering every day from the
-- first to the last event, gaps included.

with

event_bounds as (

    select
        cast(min(event_time) as date) as first_day,
        cast(max(event_time) as date) as last_day
    from {{ ref('stg_events') }}

),

calendar as (

    {{ calendar_days(
        '(select first_day from event_bounds)',
        '(select last_day from event_bounds)'
    ) }}

),

attributes as (

    select
        date_day,
        year(date_day) as year_number,
        quarter(date_day) as quarter_number,
        month(date_day) as month_number,
        cast(date_trunc('month', date_day) as date) as month_start,
        week(date_day) as iso_week,
        {{ iso_weekday('date_day') }} as iso_weekday
    from calendar

)

select
    date_day,
    cast(year_number as integer) as year_number,
    cast(quarter_number as integer) as quarter_number,
    cast(month_number as integer) as month_number,
    month_start,
    case month_number
        when 1 then 'January' when 2 then 'February' when 3 then 'March'
        when 4 then 'April' when 5 then 'May' when 6 then 'June'
        when 7 then 'July' when 8 then 'August' when 9 then 'September'
        when 10 then 'October' when 11 then 'November' when 12 then 'December'
    end as month_name,
    cast(iso_week as integer) as iso_week,
    cast(iso_weekday as integer) as iso_weekday,
    case iso_weekday
        when 1 then 'Monday' when 2 then 'Tuesday' when 3 then 'Wednesday'
        when 4 then 'Thursday' when 5 then 'Friday' when 6 then 'Saturday'
        when 7 then 'Sunday'
    end as weekday_name,
    iso_weekday >= 6 as is_weekend
from attributes
