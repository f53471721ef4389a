-- The conversion funnel per brand (view, cart, purchase); events without a
-- brand are one 'unknown' row.

with

events as (

    select * from {{ ref('stg_events') }}

),

by_brand as (

    select
        coalesce(brand, 'unknown') as brand_name,
        {{ funnel_counts() }}
    from events
    group by coalesce(brand, 'unknown')

)

select
    brand_name,
    {{ funnel_rates() }}
from by_brand
