{#-
    Monitor: a day whose count (the sum of `count_column` over the day's rows,
    so a daily table or a finer one) is more than `max_factor` times, or less than
    1/`max_factor` of, the median of the `trailing_days` days before it (a
    drop or a spike in volume). Days with fewer than `min_trailing_days`
    earlier days in the window are not judged. One row per day out of range.
-#}
{% test volume_within_trailing_median(
    model, date_column, count_column, trailing_days=7, max_factor=3, min_trailing_days=3
) %}

with

daily as (
    select
        {{ date_column }} as date_day,
        sum({{ count_column }}) as day_count
    from {{ model }}
    group by {{ date_column }}
),

with_trailing_median as (
    select
        judged.date_day,
        judged.day_count,
        count(earlier.day_count) as trailing_days_found,
        {{ median('earlier.day_count') }} as trailing_median
    from daily as judged
    inner join daily as earlier
        on earlier.date_day < judged.date_day
        and earlier.date_day >= {{ dbt.dateadd('day', -1 * trailing_days, 'judged.date_day') }}
    group by judged.date_day, judged.day_count
)

select
    date_day,
    day_count,
    trailing_median,
    trailing_days_found
from with_trailing_median
where trailing_days_found >= {{ min_trailing_days }}
    and (
        day_count > {{ max_factor }} * trailing_median
        or day_count * {{ max_factor }} < trailing_median
    )

{% endtest %}
