-- Monthly customer cohorts: customers grouped by the month of their first
-- purchase, and how many of them purchase again N months later (month_offset 0
-- is the cohort's own month, where retention is 1).

with

purchases as (

    select * from {{ ref('fact_purchases') }}

),

customers as (

    select * from {{ ref('user_ltv') }}

),

cohort_of_customer as (

    select
        user_id,
        cast(date_trunc('month', first_purchase_at) as date) as cohort_month
    from customers

),

active_months as (

    select distinct
        user_id,
        month_start as active_month
    from purchases

),

activity as (

    select
        cohort_of_customer.cohort_month,
        (year(active_months.active_month) - year(cohort_of_customer.cohort_month)) * 12
        + month(active_months.active_month) - month(cohort_of_customer.cohort_month) as month_offset,
        active_months.user_id
    from active_months
    inner join cohort_of_customer on active_months.user_id = cohort_of_customer.user_id

),

cohort_sizes as (

    select cohort_month, count(*) as cohort_customers
    from cohort_of_customer
    group by cohort_month

),

retained as (

    select cohort_month, month_offset, count(*) as active_customers
    from activity
    group by cohort_month, month_offset

)

select
    retained.cohort_month,
    cast(retained.month_offset as integer) as month_offset,
    cast(cohort_sizes.cohort_customers as bigint) as cohort_customers,
    cast(retained.active_customers as bigint) as active_customers,
    {{ safe_ratio('retained.active_customers', 'cohort_sizes.cohort_customers') }} as retention_rate
from retained
inner join cohort_sizes on retained.cohort_month = cohort_sizes.cohort_month
