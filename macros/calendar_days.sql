{#-
    One row per calendar day from first_day to last_day (SQL expressions giving
    dates), column `date_day`. Built from a cross join of digits (up to 10,000
    days) and dbt's dispatched dateadd, so both engines run the same SQL.
-#}
{% macro calendar_days(first_day, last_day) -%}
    with digits as (
        select 0 as digit union all select 1 union all select 2 union all select 3
        union all select 4 union all select 5 union all select 6 union all select 7
        union all select 8 union all select 9
    ),

    day_offsets as (
        select thousands.digit * 1000 + hundreds.digit * 100 + tens.digit * 10 + units.digit as day_offset
        from digits as thousands
        cross join digits as hundreds
        cross join digits as tens
        cross join digits as units
    ),

    bounds as (
        select {{ first_day }} as first_day, {{ last_day }} as last_day
    )

    select cast({{ dbt.dateadd('day', 'day_offsets.day_offset', 'bounds.first_day') }} as date) as date_day
    from day_offsets
    cross join bounds
    where day_offsets.day_offset <= {{ dbt.datediff('bounds.first_day', 'bounds.last_day', 'day') }}
{%- endmacro %}
