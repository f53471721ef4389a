-- Per product: views, carts, purchases, conversion and revenue, with the
-- product's current attributes.

with

product_days as (

    select * from {{ ref('int_product_days') }}

),

products as (

    select * from {{ ref('dim_product') }}

),

by_product as (

    select
        product_id,
        {{ funnel_totals() }}
    from product_days
    group by product_id

)

select
    by_product.product_id,
    products.category_id,
    products.brand_name,
    products.current_price,
    {{ funnel_rates() }}
from by_product
inner join products on by_product.product_id = products.product_id
