{#- A one-row mart (such as the KPI row) must have exactly one row. -#}
{% test has_exactly_one_row(model) %}

select row_count
from (select count(*) as row_count from {{ model }}) as counted
where row_count <> 1

{% endtest %}
