{#-
    The raw source `ecommerce_raw.event_lines`, one text column per line of
    every landed file, so staging can count fields itself (a nine-column CSV
    table would pad or cut a bad line silently). Run by on-run-start.

    Athena: an external table over the same S3 prefix as the crawler's
    nine-column `events` table, partitioned by the landing layout's year and
    month with partition projection (years from the `raw_partition_years`
    var), so new months need no crawl or MSCK.

    DuckDB reads the files in place (the source's external_location), so
    there is nothing to create: the hook checks ECOM_RAW_DIR and the var, and
    that the source reads the glob of raw_files_glob() under ECOM_RAW_DIR,
    quoted as sql_string_literal() quotes it (YAML cannot call a macro).
-#}
{% macro create_raw_event_lines_table() %}
    {{ return(adapter.dispatch('create_raw_event_lines_table')()) }}
{% endmacro %}

{% macro default__create_raw_event_lines_table() %}
    {%- set root = raw_landing_root() -%}
    {%- do raw_partition_years() -%}
    {%- if execute -%}
        {%- set expected = sql_string_literal(root ~ '/' ~ raw_files_glob()) -%}
        {%- set reader = source('ecommerce_raw', 'events') | string -%}
        {%- if not reader.startswith('read_csv(' ~ expected ~ ',') -%}
            {{ exceptions.raise_compiler_error(
                'The source ecommerce_raw.events does not read ' ~ expected ~ ' (ECOM_RAW_DIR quoted by '
                ~ 'sql_string_literal()): its external_location in models/staging/ecommerce_raw/_ecommerce_raw__sources.yml '
                ~ 'must match macros/settings.sql. It reads: ' ~ reader[:200]
            ) }}
        {%- endif -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{% macro athena__create_raw_event_lines_table() %}
{%- set root = raw_landing_root() %}
{%- set years = raw_partition_years() %}
{%- set source_relation = source('ecommerce_raw', 'events') %}
    create external table if not exists
        `{{ source_relation.schema }}`.`{{ source_relation.identifier }}`
    (
        line string
    )
    partitioned by (year int, month int)
    row format delimited fields terminated by '\u0001'
    stored as textfile
    location {{ sql_string_literal(root ~ '/events/') }}
    tblproperties (
        'skip.header.line.count' = '1',
        'projection.enabled' = 'true',
        'projection.year.type' = 'integer',
        'projection.year.range' = {{ sql_string_literal(years[0] ~ ',' ~ years[1]) }},
        'projection.month.type' = 'integer',
        'projection.month.range' = '1,12',
        'projection.month.digits' = '2',
        'storage.location.template' = {{ sql_string_literal(root ~ '/events/year=${year}/month=${month}/') }}
    )
{% endmacro %}
