{#-
    On an incremental run, the largest value of `expression` already loaded in
    this model (a Python value, e.g. a date or an int), so the model can read
    only what is new from that point on; none on a full build, at parse time,
    or when the model is empty. The last loaded day (or month) is read again
    because it may have been loaded partly.
-#}
{% macro incremental_since(expression) %}
    {#- unit tests render models without a relation of their own -#}
    {% if not execute or this is none or not is_incremental() %}
        {{ return(none) }}
    {% endif %}
    {% set result = run_query('select max(' ~ expression ~ ') from ' ~ this) %}
    {% if result is none or result.rows | length == 0 %}
        {{ return(none) }}
    {% endif %}
    {{ return(result.rows[0][0]) }}
{% endmacro %}
