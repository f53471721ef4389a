{#-
    Monitor: a calendar day between the first and last `days_column` of
    `days_from` (the days the data covers) on which `model` has no row (for
    example no purchase). One row per such day.
-#}
{% test every_day_has_rows(model, date_column, days_from, days_column) %}

with

covered_days as (
    {{ calendar_days(
        '(select min(' ~ days_column ~ ') from ' ~ days_from ~ ')',
        '(select max(' ~ days_column ~ ') from ' ~ days_from ~ ')'
    ) }}
),

days_with_rows as (
    select distinct {{ date_column }} as date_day
    from {{ model }}
)

select covered_days.date_day
from covered_days
where covered_days.date_day not in (select days_with_rows.date_day from days_with_rows)

{% endtest %}
