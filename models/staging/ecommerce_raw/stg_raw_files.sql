{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='source_file',
        on_schema_change='fail'
    )
}}

-- One row per landed raw file (its current version): how many lines it holds
-- (header excluded), counted on the source itself and apart from
-- stg_event_lines, so the zero-loss test compares two separate counts. An
-- incremental run counts only the files whose current version (in the landing
-- manifest) it has not counted: new, late or replaced files; a replaced
-- file's row is replaced.

{%- set files_to_count = raw_files_to_read() %}

with

source as (

    select * from {{ source('ecommerce_raw', 'events') }}
    {% if files_to_count is not none -%}
        where {{ raw_files_predicate(files_to_count) }}
    {%- endif %}

),

current_versions as (

    {{ current_file_versions() }}

),

counted as (

    select
        {{ raw_file_path() }} as source_file,
        cast(year * 100 + month as integer) as source_period,
        count(*) as lines_read
    from source
    group by {{ raw_file_path() }}, year, month

)

select
    counted.source_file,
    counted.source_period,
    -- the manifest's version of the file read; NULL for a file the manifest
    -- does not name (put there by hand), which a test reports
    current_versions.file_sha256 as source_file_sha256,
    cast(counted.lines_read as bigint) as lines_read,
    {{ run_loaded_marker() }} as loaded_in_run
from counted
left join current_versions
    on counted.source_file = current_versions.source_file
