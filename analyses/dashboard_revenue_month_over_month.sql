-- Dashboard: revenue by month with the month-over-month change.
select
    month_start,
    revenue,
    previous_month_revenue,
    revenue_change,
    revenue_change_ratio
from {{ ref('revenue_month_over_month') }}
order by month_start
