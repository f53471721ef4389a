-- Dashboard: top 5 brands by revenue (the 'unknown' brand is not ranked).
select
    revenue_rank,
    brand_name,
    revenue,
    purchases
from {{ ref('revenue_by_brand') }}
where revenue_rank <= 5
order by revenue_rank
