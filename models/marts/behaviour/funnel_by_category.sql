-- The conversion funnel per category (view, cart, purchase).

with

events as (

    select * from {{ ref('stg_events') }}

),

categories as (

    select * from {{ ref('dim_category') }}

),

by_category as (

    select
        category_id,
        {{ funnel_counts() }}
    from events
    group by category_id

)

select
    by_category.category_id,
    categories.category_name,
    categories.category_level_1,
    {{ funnel_rates() }}
from by_category
inner join categories on by_category.category_id = categories.category_id
