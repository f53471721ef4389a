{#-
    Predicates added to an incremental MERGE's ON clause beyond the unique key,
    on the target's partition column: a target row can only match a batch row
    of the same day (or month), so `target.<column> >= src.<column>` never
    changes which rows match, and it lets Trino's dynamic filtering skip the
    target's partitions older than the batch. dbt-athena names the two sides
    `target` and `src`; DuckDB's merge has no partitions to prune and uses other
    names, so it gets none.
-#}
{% macro merge_window_predicates(column_name) %}
    {{ return(adapter.dispatch('merge_window_predicates')(column_name)) }}
{% endmacro %}

{% macro default__merge_window_predicates(column_name) %}
    {{ return([]) }}
{% endmacro %}

{% macro athena__merge_window_predicates(column_name) %}
    {{ return(['target.' ~ column_name ~ ' >= src.' ~ column_name]) }}
{% endmacro %}
