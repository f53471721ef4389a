{#-
    The landing manifest `ecommerce_raw.landed_files` (python -m ingest land
    writes one tab-separated file per landing run under manifest/landed_files/,
    beside events/). Run by on-run-start, before the incremental models ask it
    which files are new.

    Athena: an external table over that prefix (outside events/, so the event
    table and the crawler never read it).

    DuckDB reads the files in place (the source's external_location): the hook
    checks that the source reads the manifest under ECOM_RAW_DIR quoted as
    sql_string_literal() quotes it, and that there is a manifest at all, so a
    warehouse whose files were landed before the manifest existed is told what
    to do in one line instead of DuckDB's "no files found".
-#}
{% macro create_landing_manifest_table() %}
    {{ return(adapter.dispatch('create_landing_manifest_table')()) }}
{% endmacro %}

{% macro landing_manifest_folder() %}
    {{ return('manifest/landed_files/') }}
{% endmacro %}

{% macro default__create_landing_manifest_table() %}
    {%- set root = raw_landing_root() -%}
    {%- if execute -%}
        {%- set pattern = root ~ '/' ~ landing_manifest_folder() ~ '[!._]*.tsv' -%}
        {%- set reader = source('ecommerce_raw', 'landed_files') | string -%}
        {%- if not reader.startswith('read_csv(' ~ sql_string_literal(pattern) ~ ',') -%}
            {{ exceptions.raise_compiler_error(
                'The source ecommerce_raw.landed_files does not read ' ~ sql_string_literal(pattern)
                ~ ': its external_location in models/staging/ecommerce_raw/_ecommerce_raw__sources.yml must match '
                ~ 'macros/cross_engine/create_landing_manifest_table.sql. It reads: ' ~ reader[:200]
            ) }}
        {%- endif -%}
        {%- set found = run_query('select count(*) from glob(' ~ sql_string_literal(pattern) ~ ')') -%}
        {%- if found.rows[0][0] == 0 -%}
            {{ exceptions.raise_compiler_error(
                'No landing manifest in ' ~ root ~ '/' ~ landing_manifest_folder() ~ ': land the raw files with '
                ~ '`python -m ingest land --source ... --dest ' ~ root ~ '` (it also records files landed '
                ~ 'before the manifest existed).'
            ) }}
        {%- endif -%}
    {%- endif -%}
    {{ return('') }}
{% endmacro %}

{% macro athena__create_landing_manifest_table() %}
{%- set root = raw_landing_root() %}
{%- set manifest_relation = source('ecommerce_raw', 'landed_files') %}
    create external table if not exists
        `{{ manifest_relation.schema }}`.`{{ manifest_relation.identifier }}`
    (
        file_path string,
        landing_month string,
        first_event_day date,
        last_event_day date,
        last_event_at timestamp,
        row_count bigint,
        sha256 string,
        landed_at timestamp,
        landing_run_id string
    )
    row format delimited fields terminated by '\t'
    stored as textfile
    location {{ sql_string_literal(root ~ '/' ~ landing_manifest_folder()) }}
    tblproperties ('skip.header.line.count' = '1')
{% endmacro %}
