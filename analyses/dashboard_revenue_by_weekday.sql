-- Dashboard: revenue by ISO weekday (1 = Monday) within each month.
select
    month_start,
    iso_weekday,
    weekday_name,
    revenue
from {{ ref('revenue_by_weekday') }}
order by month_start, iso_weekday
