{#-
    numerator / denominator as a double rounded to `digits` places, NULL when
    the denominator is zero. For rates (conversion, retention), not money:
    money goes through divide_to_cents.
-#}
{% macro safe_ratio(numerator, denominator, digits=4) -%}
    case
        when {{ denominator }} > 0
            then round(cast({{ numerator }} as double) / {{ denominator }}, {{ digits }})
    end
{%- endmacro %}
