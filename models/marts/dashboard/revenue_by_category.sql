-- Revenue per category with its rank; the dashboard's top 5 is `revenue_rank <= 5`.
-- Categories without a code are one 'unknown' row, kept so revenue adds up,
-- and not ranked.

with

purchases as (

    select * from {{ ref('fact_purchases') }}

),

categories as (

    select * from {{ ref('dim_category') }}

),

by_category as (

    select
        categories.category_name,
        categories.category_level_1,
        categories.has_category_code,
        sum(purchases.price) as revenue,
        count(*) as purchases
    from purchases
    inner join categories on purchases.category_id = categories.category_id
    group by categories.category_name, categories.category_level_1, categories.has_category_code

),

ranked as (

    select
        *,
        row_number() over (
            partition by has_category_code
            order by revenue desc, category_name asc
        ) as rank_within_group
    from by_category

)

select
    category_name,
    category_level_1,
    cast(revenue as decimal(18, 2)) as revenue,
    cast(purchases as bigint) as purchases,
    cast(case when has_category_code then rank_within_group end as bigint) as revenue_rank
from ranked
