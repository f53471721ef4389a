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
    {% set days = result.columns[0].values() | list %}
    {{ return((days + days_of_replaced_files(watermark)) | unique | sort | list) }}
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
    For the two models that read the raw files (stg_raw_files, stg_event_lines):
    the files an incremental run reads, none on a full build. The landing
    manifest (stg_landed_files) names every landed file and its latest version
    (sha256); a file is read when the model holds no line of that version:
    a new file, a late file for any month, or a replaced file (same path, new
    content). A list of {source_file, source_period, file_sha256, read_before};
    read_before marks a replaced file, whose earlier lines the model deletes
    (delete_lines_of_replaced_files) before appending the new ones.
-#}
{% macro raw_files_to_read() %}
    {% if not _is_incremental_build() %}
        {{ return(none) }}
    {% endif %}
    {% set result = run_query(
        'with read_versions as (select distinct source_file, source_file_sha256 from ' ~ this ~ ')'
        ~ ' select manifest.source_file, manifest.landing_period, manifest.file_sha256,'
        ~ ' manifest.source_file in (select read_versions.source_file from read_versions) as read_before'
        ~ ' from ' ~ ref('stg_landed_files') ~ ' as manifest'
        ~ ' where manifest.is_current_version and not exists (select 1 from read_versions'
        ~ ' where read_versions.source_file = manifest.source_file'
        ~ ' and read_versions.source_file_sha256 = manifest.file_sha256)'
        ~ ' order by 1'
    ) %}
    {% set files = [] %}
    {% for row in result.rows %}
        {% do files.append({
            'source_file': row[0], 'source_period': row[1] | int, 'file_sha256': row[2], 'read_before': row[3]
        }) %}
    {% endfor %}
    {{ return(files) }}
{% endmacro %}

{#-
    The landing manifest's current version of each file: its path as the raw
    source names it and the sha256 of its latest landing. The raw-reading models
    (stg_raw_files, stg_event_lines) join it to record which version of a file
    they read; a file the manifest does not name gets none (NULL).
-#}
{% macro current_file_versions() -%}
    select
        source_file,
        file_sha256
    from {{ ref('stg_landed_files') }}
    where is_current_version
{%- endmacro %}

{#-
    A predicate on the raw source selecting `files` (from raw_files_to_read):
    their year/month partitions, so both engines prune the others, and their
    paths (`filename` / "$path"), so DuckDB opens no other file. Never true for
    no files.
-#}
{% macro raw_files_predicate(files) -%}
    {%- if files | length == 0 -%}
        1 = 0
    {%- else -%}
        {%- set periods = files | map(attribute='source_period') | unique | sort -%}
        (
        {%- for period in periods %}
            (year = {{ (period // 100) | int }} and month = {{ (period % 100) | int }}){{ ' or' if not loop.last }}
        {%- endfor %}
        )
        and {{ raw_file_path() }} in (
        {%- for file in files %}
            {{ sql_string_literal(file.source_file) }}{{ ',' if not loop.last }}
        {%- endfor %}
        )
    {%- endif -%}
{%- endmacro %}

{#-
    Pre-hook of the raw-reading models: a replaced file's earlier lines go
    before its new version is appended (in the same transaction on DuckDB; on
    Athena a run stopped between the two is caught up by the next, which finds
    the file unread). Nothing on a full build or when no file was replaced.
-#}
{% macro delete_lines_of_replaced_files() %}
    {% set files = raw_files_to_read() %}
    {% if files is none %}
        {{ return('') }}
    {% endif %}
    {% set replaced = files | selectattr('read_before') | list %}
    {% if replaced | length == 0 %}
        {{ return('') }}
    {% endif %}
    {% set periods = replaced | map(attribute='source_period') | unique | sort | list %}
    {% set paths = [] %}
    {% for file in replaced %}
        {% do paths.append(sql_string_literal(file.source_file)) %}
    {% endfor %}
    {% set statement -%}
        delete from {{ this }}
        where source_period in ({{ periods | join(', ') }})
            and source_file in ({{ paths | join(', ') }})
    {%- endset %}
    {{ return(statement) }}
{% endmacro %}

{#-
    The days a replaced file's earlier versions covered (from the manifest's
    first and last event day of every version), for files the raw-reading
    models read again since `watermark`: rows there may have to go, not only
    change, so models keyed by day replace those days and the per-key models
    rebuild. A file first landed twice before any build counts too (harmless:
    its days are recomputed once more). ISO date strings, sorted.
-#}
{% macro days_of_replaced_files(watermark) %}
    {% if watermark is none %}
        {{ return([]) }}
    {% endif %}
    {% set manifest = ref('stg_landed_files') %}
    {% set result = run_query(
        'select distinct cast(versions.first_event_date as varchar), cast(versions.last_event_date as varchar)'
        ~ ' from ' ~ manifest ~ ' as versions'
        ~ ' where versions.first_event_date is not null'
        ~ ' and versions.source_file in (select reread.source_file from ' ~ ref('stg_raw_files') ~ ' as reread'
        ~ ' where reread.loaded_in_run > ' ~ watermark ~ ')'
        ~ ' and versions.source_file in (select other.source_file from ' ~ manifest ~ ' as other'
        ~ ' group by other.source_file having count(*) > 1)'
    ) %}
    {% set days = [] %}
    {% set one_day = modules.datetime.timedelta(days=1) %}
    {% for row in result.rows %}
        {% set day = namespace(value=modules.datetime.date.fromisoformat(row[0])) %}
        {% set last = modules.datetime.date.fromisoformat(row[1]) %}
        {% for _ in range(((last - day.value).days + 1) if last >= day.value else 0) %}
            {% do days.append(day.value.isoformat()) %}
            {% set day.value = day.value + one_day %}
        {% endfor %}
    {% endfor %}
    {{ return(days | unique | sort | list) }}
{% endmacro %}

{#-
    Pre-hook of the models keyed by day: when files were replaced, their
    earlier days are emptied first, so rows whose lines are gone go too (the
    model's batch then re-inserts what those days hold now). The predicate is a
    range on `time_column`, the table's partition source, so Athena opens only
    those days' partitions.
-#}
{% macro delete_days_of_replaced_files(time_column, column_type='timestamp') %}
    {% if not _is_incremental_build() %}
        {{ return('') }}
    {% endif %}
    {% set days = days_of_replaced_files(loaded_watermark()) %}
    {% if days | length == 0 %}
        {{ return('') }}
    {% endif %}
    {{ return('delete from ' ~ this ~ ' where ' ~ is_within_days(time_column, days, column_type)) }}
{% endmacro %}

{#-
    Pre-hook of the per-key models (int_products, int_sessions, fact_sessions):
    a replaced file can take a product's latest event or a session's events
    away, which folding new rows in cannot undo, so such a run empties the
    table and rebuild_for_replaced_files() makes the model read everything.
    Rare (a corrected delivery); late files keep the incremental path.
-#}
{% macro delete_all_if_files_replaced() %}
    {% if not _is_incremental_build() %}
        {{ return('') }}
    {% endif %}
    {% if days_of_replaced_files(loaded_watermark()) | length == 0 %}
        {{ return('') }}
    {% endif %}
    {{ return('delete from ' ~ this) }}
{% endmacro %}

{#- The watermark a per-key model reads above: none (everything) when files were replaced. -#}
{% macro watermark_unless_files_replaced() %}
    {% set watermark = loaded_watermark() %}
    {% if days_of_replaced_files(watermark) | length > 0 %}
        {{ return(none) }}
    {% endif %}
    {{ return(watermark) }}
{% endmacro %}

{#-
    `column` on one of `days`, as ranges of consecutive days: bounds of the
    column's own type (timestamp or date), so Athena prunes partitions by them.
-#}
{% macro is_within_days(column, days, column_type='timestamp') -%}
    {%- set one_day = modules.datetime.timedelta(days=1) -%}
    {%- set ranges = [] -%}
    {%- for day in days | unique | sort -%}
        {%- set parsed = modules.datetime.date.fromisoformat(day) -%}
        {%- if ranges and ranges[-1][1] + one_day == parsed -%}
            {%- do ranges[-1].pop() -%}
            {%- do ranges[-1].append(parsed) -%}
        {%- else -%}
            {%- do ranges.append([parsed, parsed]) -%}
        {%- endif -%}
    {%- endfor -%}
    (
    {%- for first, last in ranges %}
        {%- if column_type == 'date' %}
        ({{ column }} >= date '{{ first.isoformat() }}' and {{ column }} <= date '{{ last.isoformat() }}')
        {%- else %}
        ({{ column }} >= timestamp '{{ first.isoformat() }} 00:00:00'
            and {{ column }} < timestamp '{{ (last + one_day).isoformat() }} 00:00:00')
        {%- endif %}{{ ' or' if not loop.last }}
    {%- endfor %}
    )
{%- endmacro %}

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
