-- Dashboard: daily conversion funnel (views, carts, purchases, session conversion).
select
    date_day,
    views,
    carts,
    purchases,
    cart_rate,
    purchase_rate,
    session_conversion_rate
from {{ ref('funnel_daily') }}
order by date_day
