{#-
    Models land in the schema named by their folder's `+schema` (staging,
    intermediate, marts) instead of dbt's default `<target_schema>_<custom>`,
    because QuickSight datasets and Athena users address `marts.kpi_summary`
    by that exact name. Models without a custom schema use the target's schema.
-#}
{% macro generate_schema_name(custom_schema_name, node) -%}
    {%- if custom_schema_name is none -%}
        {{ target.schema | trim }}
    {%- else -%}
        {{ custom_schema_name | trim }}
    {%- endif -%}
{%- endmacro %}
