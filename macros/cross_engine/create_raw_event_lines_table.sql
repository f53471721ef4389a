{#-
    On Athena the staging model reads the landed files as one text column per
    line, so it can count fields itself (a nine-column CSV table would pad or
    cut a bad line silently). This external table sits over the same S3 prefix
    as the crawler's nine-column `events` table, partitioned by the landing
    layout's year and month with partition projection, so new months need no
    crawl or MSCK. Run by on-run-start; DuckDB reads the files in place instead.
-#}
{% macro create_raw_event_lines_table() %}
    {{ return(adapter.dispatch('create_raw_event_lines_table')()) }}
{% endmacro %}

{% macro default__create_raw_event_lines_table() %}
    {{ return('') }}
{% endmacro %}

{% macro athena__create_raw_event_lines_table() %}
    {%- set raw_uri = env_var('ECOM_RAW_S3_URI', '') | trim('/') -%}
    {%- if execute and not raw_uri.startswith('s3://') -%}
        {{ exceptions.raise_compiler_error(
            "Set ECOM_RAW_S3_URI to the landing root, e.g. s3://my-bucket/raw (the folder that holds events/)."
        ) }}
    {%- endif -%}
    {%- set source_relation = source('ecommerce_raw', 'events') -%}
    create external table if not exists
        `{{ source_relation.schema }}`.`{{ source_relation.identifier }}`
    (
        line string
    )
    partitioned by (year int, month int)
    row format delimited fields terminated by '\u0001'
    stored as textfile
    location '{{ raw_uri }}/events/'
    tblproperties (
        'skip.header.line.count' = '1',
        'projection.enabled' = 'true',
        'projection.year.type' = 'integer',
        'projection.year.range' = '2019,2030',
        'projection.month.type' = 'integer',
        'projection.month.range' = '1,12',
        'projection.month.digits' = '2',
        'storage.location.template' = '{{ raw_uri }}/events/year=${year}/month=${month}/'
    )
{% endmacro %}
