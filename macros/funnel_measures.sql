{#-
    The funnel's counts over a set of events (views, carts, purchases, revenue),
    for a select that groups events. Funnel rates are derived from these by
    funnel_rates(), so every funnel and product mart counts the same way.
-#}
{% macro funnel_counts() -%}
    sum(case when event_type = 'view' then 1 else 0 end) as views,
    sum(case when event_type = 'cart' then 1 else 0 end) as carts,
    sum(case when event_type = 'purchase' then 1 else 0 end) as purchases,
    sum(case when event_type = 'purchase' then price else 0 end) as revenue
{%- endmacro %}

{#- The same counts summed again over rows that already hold them (int_product_days). -#}
{% macro funnel_totals() -%}
    sum(views) as views,
    sum(carts) as carts,
    sum(purchases) as purchases,
    sum(revenue) as revenue
{%- endmacro %}

{#- Typed counts and rates over columns named views, carts, purchases, revenue. -#}
{% macro funnel_rates() -%}
    cast(views as bigint) as views,
    cast(carts as bigint) as carts,
    cast(purchases as bigint) as purchases,
    cast(revenue as decimal(18, 2)) as revenue,
    {{ safe_ratio('carts', 'views') }} as cart_rate,
    {{ safe_ratio('purchases', 'views') }} as purchase_rate,
    {{ safe_ratio('purchases', 'carts') }} as cart_to_purchase_rate
{%- endmacro %}
