{#-
    Where Athena writes must never cover what it reads. dbt-athena deletes what
    is under a table's location before it rebuilds the table, so a warehouse
    location (s3_data_dir) that contains, or lies inside, the raw landing root
    or the query-results location would lose those files; and an s3_data_naming
    without a unique suffix makes a table's rebuild (or two schemas' tables of
    one name) share one location. Run first by on-run-start; nothing on DuckDB.
    One line per problem, before any SQL is sent.
-#}
{% macro check_warehouse_locations() %}
    {{ return(adapter.dispatch('check_warehouse_locations')()) }}
{% endmacro %}

{% macro default__check_warehouse_locations() %}
    {{ return('') }}
{% endmacro %}

{% macro athena__check_warehouse_locations() %}
    {%- if not execute -%}
        {{ return('') }}
    {%- endif -%}
    {%- set naming = target.get('s3_data_naming') or 'table_unique' -%}
    {%- if naming not in ['unique', 'table_unique', 'schema_table_unique'] -%}
        {{ exceptions.raise_compiler_error(
            's3_data_naming=' ~ ('%r' | format(naming)) ~ ' lets two tables share one S3 location (dbt-athena '
            ~ 'empties a location before it rebuilds a table there): use schema_table_unique (profiles.yml).'
        ) }}
    {%- endif -%}
    {%- set warehouse = target.get('s3_data_dir') or '' -%}
    {%- if warehouse == '' -%}
        {{ exceptions.raise_compiler_error(
            's3_data_dir is not set, so dbt-athena would put tables under the query-results location '
            ~ '(s3_staging_dir): set ECOM_ATHENA_DATA_DIR to a warehouse prefix of its own.'
        ) }}
    {%- endif -%}
    {%- set others = [
        ('the raw landing root ECOM_RAW_S3_URI', raw_landing_root()),
        ('the query-results location s3_staging_dir', target.get('s3_staging_dir') or ''),
    ] -%}
    {%- for what, location in others -%}
        {%- if location != '' and _s3_locations_overlap(warehouse, location) -%}
            {{ exceptions.raise_compiler_error(
                's3_data_dir=' ~ ('%r' | format(warehouse)) ~ ' overlaps ' ~ what ~ ' (' ~ ('%r' | format(location))
                ~ '); dbt-athena deletes what is under a table location before it rebuilds it, so give the '
                ~ 'warehouse (ECOM_ATHENA_DATA_DIR) a prefix of its own.'
            ) }}
        {%- endif -%}
    {%- endfor -%}
    {{ return('') }}
{% endmacro %}

{#-
    True when one S3 location is the other or lies inside it, folder by
    folder: s3://b/raw2 is beside s3://b/raw, not inside it.
-#}
{% macro _s3_locations_overlap(first, second) %}
    {%- set a = first.rstrip('/') ~ '/' -%}
    {%- set b = second.rstrip('/') ~ '/' -%}
    {{ return(a.startswith(b) or b.startswith(a)) }}
{% endmacro %}
