{#-
    Parse a Kaggle event_time such as '2019-10-01 00:00:04 UTC' into a timestamp,
    or NULL when the text is not a valid date and time.

    Athena (Trino) rejects the ' UTC' suffix in a cast and try_cast then silently
    gives NULL, so only the first 19 characters are parsed; callers check the
    suffix separately. Iceberg tables on Athena store timestamp(6).
-#}
{% macro parse_event_time(text_column) -%}
    {{ return(adapter.dispatch('parse_event_time')(text_column)) }}
{%- endmacro %}

{% macro default__parse_event_time(text_column) -%}
    try_cast(substr({{ text_column }}, 1, 19) as timestamp)
{%- endmacro %}

{% macro athena__parse_event_time(text_column) -%}
    try_cast(substr({{ text_column }}, 1, 19) as timestamp(6))
{%- endmacro %}
