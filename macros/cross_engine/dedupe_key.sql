{#-
    A compact key to find candidate duplicates of a long text id before the
    exact comparison: grouping 110 M 32-character ids spills to disk on DuckDB,
    grouping their 64-bit hashes fits in memory. Collisions are harmless (the
    caller re-checks candidates on the id itself). Athena is billed by bytes
    read, not memory, so it groups the id directly.
-#}
{% macro dedupe_key(text_column) -%}
    {{ return(adapter.dispatch('dedupe_key')(text_column)) }}
{%- endmacro %}

{% macro default__dedupe_key(text_column) -%}
    {{ text_column }}
{%- endmacro %}

{% macro duckdb__dedupe_key(text_column) -%}
    hash({{ text_column }})
{%- endmacro %}
