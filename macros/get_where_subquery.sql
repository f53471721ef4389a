{#-
    dbt's `where` config for data tests, with one addition: `where: latest_batch`
    tests only the rows the latest run wrote (the largest loaded_in_run) of an
    incremental model. On a full build every row carries that run's stamp, so
    the test covers the whole table; on an incremental run it covers the batch
    just appended or merged, instead of reading every event again. The stamp is
    looked up first and written into the filter as a literal, so that Athena
    can skip the Iceberg files of earlier runs by their statistics (a subquery
    would make it read the column everywhere). Any other `where` works as in dbt.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where == 'latest_batch' -%}
        {%- set where = 'loaded_in_run = ' ~ latest_loaded_in_run(relation) -%}
    {%- endif -%}
    {%- if where -%}
        {%- set filtered -%}
            (select * from {{ relation }} where {{ where }}) dbt_subquery
        {%- endset -%}
        {{ return(filtered) }}
    {%- else -%}
        {{ return(relation) }}
    {%- endif -%}
{%- endmacro %}

{#- The largest loaded_in_run of a relation, as SQL: a literal, or NULL for an empty table. -#}
{% macro latest_loaded_in_run(relation) %}
    {% if not execute %}
        {{ return('(select max(latest.loaded_in_run) from ' ~ relation ~ ' as latest)') }}
    {% endif %}
    {% set result = run_query('select max(loaded_in_run) from ' ~ relation) %}
    {% set latest = result.rows[0][0] if result.rows | length > 0 else none %}
    {{ return('null' if latest is none else latest | string) }}
{% endmacro %}
