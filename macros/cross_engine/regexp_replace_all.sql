{#-
    Replace every match of a regular expression in a text. Trino/Athena's
    regexp_replace replaces every match; DuckDB's replaces only the first one
    unless given the 'g' option. Keep the replacement plain text: a group is
    referenced as $1 on Trino and \1 on DuckDB.
-#}
{% macro regexp_replace_all(text_column, pattern, replacement) -%}
    {{ return(adapter.dispatch('regexp_replace_all')(text_column, pattern, replacement)) }}
{%- endmacro %}

{% macro default__regexp_replace_all(text_column, pattern, replacement) -%}
    regexp_replace({{ text_column }}, '{{ pattern }}', '{{ replacement }}')
{%- endmacro %}

{% macro duckdb__regexp_replace_all(text_column, pattern, replacement) -%}
    regexp_replace({{ text_column }}, '{{ pattern }}', '{{ replacement }}', 'g')
{%- endmacro %}
