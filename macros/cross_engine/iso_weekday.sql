{#-
    ISO day of the week, 1 = Monday ... 7 = Sunday.
    DuckDB's dayofweek() counts 0 = Sunday, so it uses isodow(); Trino's
    day_of_week() is already ISO.
-#}
{% macro iso_weekday(date_column) -%}
    {{ return(adapter.dispatch('iso_weekday')(date_column)) }}
{%- endmacro %}

{% macro default__iso_weekday(date_column) -%}
    day_of_week({{ date_column }})
{%- endmacro %}

{% macro duckdb__iso_weekday(date_column) -%}
    isodow({{ date_column }})
{%- endmacro %}
