-- One row per category_id, with its code split into levels. About a third of
-- events carry no category_code: those categories are named 'unknown' rather
-- than dropped, so every purchase still joins to a category.

with

product_days as (

    select * from {{ ref('int_product_days') }}

),

codes_per_category as (

    select
        category_id,
        -- a category_id carries one code in the source; max() picks one
        -- deterministically should it ever carry two
        max(category_code) as category_code
    from product_days
    group by category_id

),

split as (

    select
        category_id,
        category_code,
        nullif(split_part(category_code, '.', 1), '') as level_1,
        nullif(split_part(category_code, '.', 2), '') as level_2,
        nullif(split_part(category_code, '.', 3), '') as level_3
    from codes_per_category

)

select
    category_id,
    category_code,
    coalesce(category_code, 'unknown') as category_name,
    coalesce(level_1, 'unknown') as category_level_1,
    level_2 as category_level_2,
    level_3 as category_level_3,
    category_code is not null as has_category_code
from split
