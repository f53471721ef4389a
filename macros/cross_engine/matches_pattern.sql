{#-
    True when the whole text matches a regular expression. Patterns are written
    with ^ and $ anchors so both engines test the full value.
    DuckDB names this regexp_matches, Trino/Athena regexp_like.
-#}
{% macro matches_pattern(text_column, pattern) -%}
    {{ return(adapter.dispatch('matches_pattern')(text_column, pattern)) }}
{%- endmacro %}

{% macro default__matches_pattern(text_column, pattern) -%}
    regexp_like({{ text_column }}, '{{ pattern }}')
{%- endmacro %}

{% macro duckdb__matches_pattern(text_column, pattern) -%}
    regexp_matches({{ text_column }}, '{{ pattern }}')
{%- endmacro %}
