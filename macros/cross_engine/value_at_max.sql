{#-
    The value of `value_column` on the row where `ordering` is largest, NULL
    included when that row's value is NULL (a product whose latest event has
    no brand has no current brand). Trino's max_by keeps a NULL value; DuckDB's
    max_by skips it, and arg_max_null is the one that keeps it.
-#}
{% macro value_at_max(value_column, ordering) -%}
    {{ return(adapter.dispatch('value_at_max')(value_column, ordering)) }}
{%- endmacro %}

{% macro default__value_at_max(value_column, ordering) -%}
    max_by({{ value_column }}, {{ ordering }})
{%- endmacro %}

{% macro duckdb__value_at_max(value_column, ordering) -%}
    arg_max_null({{ value_column }}, {{ ordering }})
{%- endmacro %}
