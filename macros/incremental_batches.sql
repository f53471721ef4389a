{#-
    How an incremental run finds its batch. Every event-level table carries
    `loaded_in_run`, the run that last changed its row (run_loaded_marker()).
    A model's watermark is the largest value in its own table; the rows of its
    parent above that watermark are what changed since it last ran, so a run
    that failed half-way is simply caught up by the next one. All three return
    none on a full build, at parse time and in unit tests, where a model reads
    everything.
-#}

{#- This run's marker: microseconds since the epoch at the start of the run. -#}
{% macro run_loaded_marker() -%}
    cast({{ (run_started_at.timestamp() * 1000000) | int }} as bigint)
{%- endmacro %}

{% macro _is_incremental_build() %}
    {{ return(execute and this is not none and is_incremental()) }}
{% endmacro %}

{#- The largest `loaded_in_run` of this model's own table (none when empty). -#}
{% macro loaded_watermark() %}
    {% if not _is_incremental_build() %}
        {{ return(none) }}
    {% endif %}
    {% set result = run_query('select max(loaded_in_run) from ' ~ this) %}
    {{ return(result.rows[0][0] if result.rows | length > 0 else none) }}
{% endmacro %}

{#-
    The days (ISO date strings) on which `parent` has rows newer than this
    model's watermark: the days an incremental run recomputes. An empty list
    means nothing changed.
-#}
{% macro days_changed_since_last_run(parent, date_column='event_date') %}
    {% set watermark = loaded_watermark() %}
    {% if watermark is none %}
        {{ return(none) }}
    {% endif %}
    {% set result = run_query(
        'select distinct cast(' ~ date_column ~ ' as varchar) from ' ~ parent
        ~ ' where loaded_in_run > ' ~ watermark ~ ' and ' ~ date_column ~ ' is not null order by 1'
    ) %}
    {{ return(result.columns[0].values() | list) }}
{% endmacro %}

{#- `column in (date '...', ...)`, or a predicate that is never true for no days. -#}
{% macro is_one_of_days(column, days) -%}
    {%- if days | length == 0 -%}
        1 = 0
    {%- else -%}
        {{ column }} in ({% for day in days %}date '{{ day }}'{{ ', ' if not loop.last }}{% endfor %})
    {%- endif -%}
{%- endmacro %}

{#-
    For the model that reads the raw files: a predicate selecting only the raw
    files it has not read yet (`filename`/"$path" and the year/month partition
    columns of the source), or none on a full build. Files are immutable once
    landed, so a file already read is never read again; both engines prune the
    partitions, and DuckDB skips the listed files without opening them.
-#}
{% macro unread_raw_files_predicate() %}
    {% if not _is_incremental_build() %}
        {{ return(none) }}
    {% endif %}
    {% set latest = run_query('select max(source_period) from ' ~ this) %}
    {% set since_period = latest.rows[0][0] if latest.rows | length > 0 else none %}
    {% if since_period is none %}
        {{ return(none) }}
    {% endif %}
    {% set read = run_query(
        'select distinct source_file from ' ~ this ~ ' where source_period >= ' ~ since_period ~ ' order by 1'
    ) %}
    {% set predicate = 'year * 100 + month >= ' ~ since_period %}
    {% set files = read.columns[0].values() | list %}
    {% if files | length > 0 %}
        {% set quoted = [] %}
        {% for file in files %}
            {% do quoted.append("'" ~ (file | replace("'", "''")) ~ "'") %}
        {% endfor %}
        {% set predicate = predicate ~ ' and ' ~ raw_file_path() ~ ' not in (' ~ quoted | join(', ') ~ ')' %}
    {% endif %}
    {{ return(predicate) }}
{% endmacro %}

{#-
    For int_sessions: the earliest event time an incremental run must read so
    that every session with a new event is recomputed from all its events.
    Such a session's older events are no earlier than its stored start, and
    its new events no earlier than the earliest new one. A far-future time
    when nothing changed (the batch is then empty).
-#}
{% macro earliest_event_of_changed_sessions(watermark) %}
    {% if watermark is none %}
        {{ return(none) }}
    {% endif %}
    {% set events = ref('stg_events') %}
    {% set result = run_query(
        'with changed as (select session_id, event_time from ' ~ events
        ~ ' where loaded_in_run > ' ~ watermark ~ ')'
        ~ ' select cast(min(earliest) as varchar) from ('
        ~ ' select min(event_time) as earliest from changed'
        ~ ' union all select min(session_start) from ' ~ this
        ~ ' where session_id in (select session_id from changed)) as bounds'
    ) %}
    {{ return(result.rows[0][0] or '9999-12-31 00:00:00') }}
{% endmacro %}
