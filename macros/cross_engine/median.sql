{#-
    The median of a numeric expression, as an aggregate. DuckDB has an exact
    `median`; Athena (Trino) has none and approximates a percentile, exact for
    the few values the monitors give it (a week of daily counts).
-#}
{% macro median(expression) -%}
    {{ return(adapter.dispatch('median')(expression)) }}
{%- endmacro %}

{% macro default__median(expression) -%}
    median({{ expression }})
{%- endmacro %}

{% macro athena__median(expression) -%}
    approx_percentile({{ expression }}, 0.5)
{%- endmacro %}
