{#-
    The path of the raw file a row was read from, for lineage in quarantine.
    DuckDB's read_csv exposes it as the `filename` column (the source sets
    filename=true); Athena exposes the "$path" pseudo-column of the table.
-#}
{% macro raw_file_path() -%}
    {{ return(adapter.dispatch('raw_file_path')()) }}
{%- endmacro %}

{% macro default__raw_file_path() -%}
    filename
{%- endmacro %}

{% macro athena__raw_file_path() -%}
    "$path"
{%- endmacro %}
