{#-
    Models land in the schema named by their folder's `+schema` (staging,
    intermediate, marts) instead of dbt's default `<target_schema>_<custom>`,
    because QuickSight datasets and Athena users address `marts.kpi_summary`
    by that exact name. Models without a custom schema use the target's schema.
    The `schema_prefix` var (empty by default) gives a throw-away copy its own
    schemas, e.g. `make athena-smoke` builds into `smoke_<run>_marts`.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- set prefix = var('schema_prefix', '') | trim -%}
    {%- if custom_schema_name is none -%}
        {{ prefix }}{{ target.schema | trim }}
    {%- else -%}
        {{ prefix }}{{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
