{{
    config(
        materialized='incremental',
        incremental_strategy='append',
        on_schema_change='fail'
    )
}}

-- One row per landed raw file: how many lines it holds (header excluded),
-- counted on the source itself and apart from stg_event_lines, so the
-- zero-loss test compares two separate counts. A landed file never changes,
-- so an incremental run counts only the files it has not counted before.

{%- set uncounted_files = unread_raw_files_predicate() %}

with

source as (

    select * from {{ source('ecommerce_raw', 'events') }}
    {% if uncounted_files is not none -%}
        where {{ uncounted_files }}
    {%- endif %}

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
    source_file,
    source_period,
    cast(lines_read as bigint) as lines_read,
    {{ run_loaded_marker() }} as loaded_in_run
from counted
