{#-
    dbt's `where` config for data tests, with one addition: `where: latest_batch`
    tests only the rows the latest run wrote (the largest loaded_in_run) of an
    incremental model. On a full build every row carries that run's stamp, so
    the test covers the whole table; on an incremental run it covers the batch
    just appended or merged, instead of reading every event again. Any other
    `where` works as in dbt.
-#}
{% macro get_where_subquery(relation) -%}
    {%- set where = config.get('where', '') -%}
    {%- if where == 'latest_batch' -%}
        {%- set where = 'loaded_in_run = (select max(latest.loaded_in_run) from ' ~ relation ~ ' as latest)' -%}
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
