-- The conversion funnel per brand (view, cart, purchase); events without a
-- brand are one 'unknown' row.

with

product_days as (

    select * from {{ ref('int_product_days') }}

),

by_brand as (

    select
        brand_name,
        {{ funnel_totals() }}
    from product_days
    group by brand_name

)

select
    brand_name,
    {{ funnel_rates() }}
from by_brand
