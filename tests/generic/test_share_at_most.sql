{#-
    Monitor: rows where `numerator` is more than `max_share` of `denominator`
    (for example quarantined lines of the lines read, per landing run). Rows
    with nothing in the denominator are not judged.
-#}
{% test share_at_most(model, numerator, denominator, max_share) %}

select
    *
from {{ model }}
where {{ denominator }} > 0
    and {{ numerator }} > {{ max_share }} * {{ denominator }}

{% endtest %}
