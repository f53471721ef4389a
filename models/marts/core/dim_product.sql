-- One row per product: its current attributes (as on its latest event) and the
-- range of prices it was seen at. The price history is in the
-- product_attributes snapshot.

with

products as (

    select * from {{ ref('int_products') }}

)

select
    product_id,
    category_id,
    brand,
    coalesce(brand, 'unknown') as brand_name,
    current_price,
    min_price,
    max_price,
    first_seen_at,
    last_seen_at
from products
