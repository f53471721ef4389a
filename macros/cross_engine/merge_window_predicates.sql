{#-
    Predicates added to an incremental MERGE's ON clause so that the merge only
    touches the target's partitions that the new batch can match: rows on or
    after the earliest `column_name` of the batch. dbt-athena names the target
    `target` and stages the batch in `<model>__dbt_tmp` beside it; DuckDB's
    merge has no partitions to prune, so it gets none.
-#}
{% macro merge_window_predicates(column_name) %}
    {{ return(adapter.dispatch('merge_window_predicates')(column_name)) }}
{% endmacro %}

{% macro default__merge_window_predicates(column_name) %}
    {{ return([]) }}
{% endmacro %}

{% macro athena__merge_window_predicates(column_name) %}
    {% set batch = '"' ~ this.schema ~ '"."' ~ this.identifier ~ '__dbt_tmp"' %}
    {{ return(['target.' ~ column_name ~ ' >= (select min(' ~ column_name ~ ') from ' ~ batch ~ ')']) }}
{% endmacro %}
