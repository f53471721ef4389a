{#-
    dbt-duckdb's seed loader with the seed file's path quoted as a SQL literal
    (sql_string_literal): the adapter's own macro pastes it into COPY ... FROM
    '...' as it is, so a clone of the project under a folder whose name holds
    a quote (/home/o'brien/...) could not load a seed. The rest is the
    adapter's: the slow path (`fast: false`) is its macro (dbt.duckdb__...),
    unchanged.
-#}
{% macro duckdb__load_csv_rows(model, agate_table) %}
    {%- if not config.get('fast', true) -%}
        {{ return(dbt.duckdb__load_csv_rows(model, agate_table)) }}
    {%- endif -%}
    {%- set seed_file_path = adapter.get_seed_file_path(model) -%}
    {%- set delimiter = config.get('delimiter', ',') -%}
    {%- set sql -%}
        copy {{ this.render() }} from {{ sql_string_literal(seed_file_path) }}
        (format csv, header true, delimiter {{ sql_string_literal(delimiter) }})
    {%- endset -%}
    {%- do adapter.add_query(sql, abridge_sql_log=True) -%}
    {{ return(sql) }}
{% endmacro %}
