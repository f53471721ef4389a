-- The conversion funnel per category (view, cart, purchase).

with

product_days as (

    select * from {{ ref('int_product_days') }}

),

categories as (

    select * from {{ ref('dim_category') }}

),

by_category as (

    select
        category_id,
        {{ funnel_totals() }}
    from product_days
    group by category_id

)

select
    by_category.category_id,
    categories.category_name,
    categories.category_level_1,
    {{ funnel_rates() }}
from by_category
inner join categories on by_category.category_id = categories.category_id
