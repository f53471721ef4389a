-- Dashboard: monthly cohorts, retention by month offset.
select
    cohort_month,
    month_offset,
    cohort_customers,
    active_customers,
    retention_rate
from {{ ref('customer_cohorts') }}
order by cohort_month, month_offset
