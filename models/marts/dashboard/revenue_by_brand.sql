-- Revenue per brand with its rank; the dashboard's top 5 is `revenue_rank <= 5`.
-- Purchases without a brand are one 'unknown' row, kept so revenue adds up,
-- and not ranked: it is not a brand.

with

purchases as (

    select * from {{ ref('fact_purchases') }}

),

by_brand as (

    select
        coalesce(brand, 'unknown') as brand_name,
        brand is not null as has_brand,
        sum(price) as revenue,
        count(*) as purchases
    from purchases
    group by coalesce(brand, 'unknown'), brand is not null

),

ranked as (

    select
        *,
        row_number() over (
            partition by has_brand
            order by revenue desc, brand_name asc
        ) as rank_within_group
    from by_brand

)

select
    brand_name,
    cast(revenue as decimal(18, 2)) as revenue,
    cast(purchases as bigint) as purchases,
    cast(case when has_brand then rank_within_group end as bigint) as revenue_rank
from ranked
