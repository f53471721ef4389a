-- Dashboard: KPI row (lifetime revenue, average customer LTV, total customers, repeat customers).
select
    lifetime_revenue,
    avg_customer_ltv,
    total_customers,
    repeat_customers
from {{ ref('kpi_summary') }}
