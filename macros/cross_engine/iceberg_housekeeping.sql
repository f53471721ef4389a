{#-
    Iceberg housekeeping on Athena; nothing on DuckDB (every default__ is empty).

    A merge leaves small files and a snapshot in the partitions it touched, and every
    commit a Glue table version. So, as hooks of the models:

    - remember_batch_days / remember_batch_periods (pre-hook of a partitioned incremental
      model): the partitions its batch recomputes, found before the merge by the same
      macro the model's body uses (days_changed_since_last_run, raw_files_to_read), while
      the model's watermark is still the old one. Kept in the node's `model` dict, which
      the materialization's pre- and post-hooks share (one context per node run; the
      model's body is rendered in another and cannot pass values on).
    - iceberg_optimize (post-hook): OPTIMIZE ... REWRITE DATA USING BIN_PACK WHERE <a
      range on the partition source column> for those partitions only; on a vacuum run
      (var iceberg_vacuum) the whole table, for every incremental model and snapshot.
    - iceberg_vacuum (post-hook): VACUUM on a vacuum run (snapshot expiry within the
      table properties vacuum_max_snapshot_age_seconds / vacuum_min_snapshots_to_keep).
    - prune_glue_table_versions (post-hook): old Glue table versions deleted, keeping
      var glue_table_versions_to_keep; never their S3 data (see below).
-#}

{% macro _is_athena_iceberg_table() %}
    {{ return(execute and this is not none and (config.get('table_type', 'hive') | lower) == 'iceberg') }}
{% endmacro %}

{#- Pre-hook of a day-partitioned incremental model: `parent` and the column as in its body. -#}
{% macro remember_batch_days(parent, time_column, column_type='timestamp') %}
    {{ return(adapter.dispatch('remember_batch_days')(parent, time_column, column_type)) }}
{% endmacro %}

{% macro default__remember_batch_days(parent, time_column, column_type='timestamp') %}
    {{ return('') }}
{% endmacro %}

{% macro athena__remember_batch_days(parent, time_column, column_type='timestamp') %}
    {% if _is_athena_iceberg_table() and _is_incremental_build() and 'iceberg_batch_where' not in model %}
        {% set days = days_changed_since_last_run(parent) %}
        {% if days is not none and days | length > 0 %}
            {% do model.update({'iceberg_batch_where': is_within_days(time_column, days, column_type) | trim}) %}
        {% endif %}
    {% endif %}
    {{ return('') }}
{% endmacro %}

{#- Pre-hook of stg_event_lines (partitioned by source_period): the months of the files it reads. -#}
{% macro remember_batch_periods() %}
    {{ return(adapter.dispatch('remember_batch_periods')()) }}
{% endmacro %}

{% macro default__remember_batch_periods() %}
    {{ return('') }}
{% endmacro %}

{% macro athena__remember_batch_periods() %}
    {% if _is_athena_iceberg_table() and _is_incremental_build() and 'iceberg_batch_where' not in model %}
        {% set files = raw_files_to_read() %}
        {% if files is not none and files | length > 0 %}
            {% set periods = files | map(attribute='source_period') | unique | sort | list %}
            {% do model.update({'iceberg_batch_where': 'source_period in (' ~ periods | join(', ') ~ ')'}) %}
        {% endif %}
    {% endif %}
    {{ return('') }}
{% endmacro %}

{#- A vacuum run compacts and vacuums the tables that take merges (incremental models, snapshots). -#}
{% macro _is_vacuum_run() %}
    {{ return(var('iceberg_vacuum', false) in (true, 'true', 'True', 1)
        and config.get('materialized') in ('incremental', 'snapshot')) }}
{% endmacro %}

{#- Athena's OPTIMIZE/VACUUM take `[db.]table`, unquoted (our names are plain identifiers). -#}
{% macro _maintenance_target() %}
    {{ return(this.schema ~ '.' ~ this.identifier) }}
{% endmacro %}

{% macro iceberg_optimize() %}
    {{ return(adapter.dispatch('iceberg_optimize')()) }}
{% endmacro %}

{% macro default__iceberg_optimize() %}
    {{ return('') }}
{% endmacro %}

{% macro athena__iceberg_optimize() %}
    {% if not _is_athena_iceberg_table() or flags.FULL_REFRESH %}
        {{ return('') }}
    {% endif %}
    {% set statement = 'optimize ' ~ _maintenance_target() ~ ' rewrite data using bin_pack' %}
    {% if _is_vacuum_run() %}
        {{ return(statement) }}
    {% endif %}
    {% set where = model.get('iceberg_batch_where') %}
    {% if where and config.get('materialized') == 'incremental' %}
        {{ return(statement ~ ' where ' ~ where) }}
    {% endif %}
    {{ return('') }}
{% endmacro %}

{% macro iceberg_vacuum() %}
    {{ return(adapter.dispatch('iceberg_vacuum')()) }}
{% endmacro %}

{% macro default__iceberg_vacuum() %}
    {{ return('') }}
{% endmacro %}

{% macro athena__iceberg_vacuum() %}
    {% if _is_athena_iceberg_table() and _is_vacuum_run() %}
        {{ return('vacuum ' ~ _maintenance_target()) }}
    {% endif %}
    {{ return('') }}
{% endmacro %}

{#-
    Old Glue table versions (every Iceberg commit adds one; an account holds a limited
    number) are deleted, keeping the newest var glue_table_versions_to_keep. dbt-athena's
    expire_glue_table_versions is called with delete_s3=false, always: with true it would
    delete each old version's S3 Location, and every version of an Iceberg table has the
    table's own location, so it would delete the current table's data. Iceberg's files are
    VACUUM's to expire. Only the Glue catalog entry's history changes here.
-#}
{% macro prune_glue_table_versions() %}
    {{ return(adapter.dispatch('prune_glue_table_versions')()) }}
{% endmacro %}

{% macro default__prune_glue_table_versions() %}
    {{ return('') }}
{% endmacro %}

{% macro athena__prune_glue_table_versions() %}
    {% if _is_athena_iceberg_table() and not adapter.is_s3_tables_database(this.database) %}
        {% set keep = var('glue_table_versions_to_keep', 10) | int %}
        {% if keep < 1 %}
            {% do exceptions.raise_compiler_error('glue_table_versions_to_keep must be at least 1, got ' ~ keep) %}
        {% endif %}
        {% do adapter.expire_glue_table_versions(this, keep, false) %}
    {% endif %}
    {{ return('') }}
{% endmacro %}
