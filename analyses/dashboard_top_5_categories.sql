-- Dashboard: top 5 categories by revenue (the 'unknown' category is not ranked).
select
    revenue_rank,
    category_name,
    revenue,
    purchases
from {{ ref('revenue_by_category') }}
where revenue_rank <= 5
order by revenue_rank
