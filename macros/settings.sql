{#-
    Settings are values, not SQL. A setting read from the environment reaches
    SQL only through raw_landing_root() (read, checked, returned) and
    sql_string_literal() (quoted): a folder named o'brien works, and a hostile
    value cannot end the literal it sits in. A value of the wrong shape stops
    the run with one line naming the variable, the value and the shape expected.
    The one exception is the DuckDB source's external_location, which YAML
    renders without macros: it quotes ECOM_RAW_DIR the same way, and the
    on-run-start hook checks both the value and that quoting.
-#}

{#- `value` as a SQL string literal: in single quotes, each single quote doubled. -#}
{% macro sql_string_literal(value) -%}
    {{- return("'" ~ (value | string | replace("'", "''")) ~ "'") -}}
{%- endmacro %}

{#-
    The landing root, the folder that holds events/: ECOM_RAW_DIR (a local
    path, default data/demo/raw) on DuckDB, ECOM_RAW_S3_URI (s3://bucket/prefix) on
    Athena. Without a trailing slash. Checked when dbt executes; while it only
    parses, the value is returned as it is (a parse needs no settings).
-#}
{% macro raw_landing_root() %}
    {{ return(adapter.dispatch('raw_landing_root')()) }}
{% endmacro %}

{% macro default__raw_landing_root() %}
    {%- set value = env_var('ECOM_RAW_DIR', 'data/demo/raw') -%}
    {%- set root = value.rstrip('/') -%}
    {%- set re = modules.re -%}
    {%- if execute and (
        root == ''
        or re.match('^[A-Za-z][A-Za-z0-9+.-]*://', root)
        or re.search('[\x00-\x1f\x7f*?\[\]{}]', root)
    ) -%}
        {{ _raise_setting_error(
            'ECOM_RAW_DIR', value,
            'a local folder path (not a URL like s3://...) with no control characters and none of the '
            ~ 'glob characters * ? [ ] { } (DuckDB would expand them); spaces, quotes and accents are fine'
        ) }}
    {%- endif -%}
    {{ return(root) }}
{% endmacro %}

{% macro athena__raw_landing_root() %}
    {%- set value = env_var('ECOM_RAW_S3_URI', '') -%}
    {%- set root = value.rstrip('/') -%}
    {%- set re = modules.re -%}
    {#-
        The bucket by S3's naming rules; the prefix one or more folders of
        letters, digits and - _ . = ( ) !, none starting with _ or . (Athena
        skips such folders) and none empty: nothing a Hive location, a
        storage.location.template (${...}) or a SQL literal would read apart.
    -#}
    {%- set shape = '^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/[A-Za-z0-9=()!-][A-Za-z0-9_.=()!-]*)*$' -%}
    {%- if execute and (not re.match(shape, root) or '..' in root.split('/')[2]) -%}
        {{ _raise_setting_error(
            'ECOM_RAW_S3_URI', value,
            's3://bucket/prefix, the folder that holds events/: a bucket of 3-63 lower-case letters, digits, '
            ~ 'dots and hyphens, then folders of letters, digits and - _ . = ( ) ! (none starting with _ or .)'
        ) }}
    {%- endif -%}
    {{ return(root) }}
{% endmacro %}

{#-
    The landed files under the landing root, as a DuckDB glob: what Athena
    reads (year=YYYY/month=MM folders, two-digit months as its partition
    projection has them; no file whose name starts with _ or ., Hadoop's
    hidden files). A glob, not a filter: a filter on `filename` in a subquery
    would stop DuckDB pruning the files by partition (year * 100 + month).
    models/staging/ecommerce_raw/_ecommerce_raw__sources.yml spells the same glob (YAML
    cannot call a macro); the on-run-start hook checks that they agree.
-#}
{% macro raw_files_glob() %}
    {{ return('events/year=[0-9][0-9][0-9][0-9]/month=[0-9][0-9]/[!._]*.csv*') }}
{% endmacro %}

{#-
    One line: the variable, its value as Python's repr() shows it (control
    characters escaped, so the line stays one line) and the shape expected.
-#}
{% macro _raise_setting_error(name, value, expected) %}
    {{ exceptions.raise_compiler_error(
        name ~ '=' ~ ('%r' | format(value)) ~ ' is not valid: expected ' ~ expected ~ '.'
    ) }}
{% endmacro %}

{#-
    The years of raw data: dbt_project.yml's `raw_partition_years`, [first,
    last], inclusive. Athena's partition projection covers exactly these
    years; the landing refuses a file outside them, so DuckDB, which reads
    every year=YYYY folder (a filter on year would stop it pruning files by
    partition), reads the same files. Returned as a list of two integers.
-#}
{% macro raw_partition_years() %}
    {%- set years = var('raw_partition_years', none) -%}
    {%- set valid = years is sequence and years is not string and years | length == 2
        and years | select('integer') | list | length == 2 and years[0] <= years[1] -%}
    {%- if not valid -%}
        {{ exceptions.raise_compiler_error(
            'raw_partition_years=' ~ ('%r' | format(years)) ~ ' is not valid: expected [first, last], two years '
            ~ 'with first <= last, e.g. [2019, 2030] (vars: in dbt_project.yml).'
        ) }}
    {%- endif -%}
    {{ return([years[0] | int, years[1] | int]) }}
{% endmacro %}
