{{
    config(
        materialized='incremental',
        incremental_strategy='merge',
        unique_key='event_id',
        partitioned_by=['day(event_time)'],
        incremental_predicates=merge_window_predicates('event_time'),
        pre_hook=[
            "{{ remember_batch_days(ref('stg_event_lines'), 'event_time') }}",
            "{{ delete_days_of_replaced_files('event_time') }}",
        ],
        on_schema_change='fail'
    )
}}

-- the landing manifest and the files read, for the days of replaced files (incremental_batches.sql)
-- depends_on: {{ ref('stg_landed_files') }}
-- depends_on: {{ ref('stg_raw_files') }}

-- Accepted clickstream events, one row per distinct raw line: exact duplicate
-- rows (repeated inside a file, or the same line in two files) are kept once.
-- Copies of a line share its event_time, so duplicates are always found
-- within one day: an incremental run recomputes only the days that received
-- new lines (late ones included), and merges them; the days a replaced file
-- covered are emptied first (pre-hook), so lines it no longer holds go.

{%- set changed_days = days_changed_since_last_run(ref('stg_event_lines')) %}

{#-
    The accepted lines of the batch. Each CTE below reads stg_event_lines
    with this predicate itself rather than through one shared CTE: DuckDB
    materialises a CTE that is read several times, which at 110 M lines is a
    copy of every event spilled to disk; separate reads are column scans.
-#}
{%- set accepted_in_batch -%}
    is_accepted
    {%- if changed_days is not none %}
        and {{ is_one_of_days('event_date', changed_days) }}
    {%- endif %}
{%- endset %}

{#-
    The fields of an event besides its id and the run that wrote it: both
    branches of distinct_events list them from here, in one order (a union
    matches columns by position).
-#}
{%- set event_fields = [
    'user_id', 'product_id', 'category_id', 'user_session', 'event_time', 'event_date',
    'event_type', 'category_code', 'brand', 'price', 'source_file'
] %}

with

repeated_keys as (

    -- lines that may occur more than once, found by a compact key first so
    -- that 110 M ids are grouped in memory; a key shared by two different
    -- lines only adds a candidate, which the exact check below drops
    select {{ dedupe_key('event_id') }} as dedupe_key
    from {{ ref('stg_event_lines') }}
    where {{ accepted_in_batch }}
    group by {{ dedupe_key('event_id') }}
    having count(*) > 1

),

copied_lines as (

    -- lines that do occur more than once (in a file or across files). Rare,
    -- so only these are grouped below; the others go through untouched
    select event_id
    from {{ ref('stg_event_lines') }}
    where {{ accepted_in_batch }}
        and {{ dedupe_key('event_id') }} in (select repeated_keys.dedupe_key from repeated_keys)
    group by event_id
    having count(*) > 1

),

single_copies as (

    select
        event_id,
        loaded_in_run,
    {% for field in event_fields %}
        {{ field }}{{ ',' if not loop.last }}
    {% endfor %}
    from {{ ref('stg_event_lines') }}
    where {{ accepted_in_batch }}
        and event_id not in (select copied_lines.event_id from copied_lines)

),

first_of_several_copies as (

    -- every copy has the same fields (the same line); lineage names the
    -- first file (by path) the line was read from
    select
        event_id,
        max(loaded_in_run) as loaded_in_run,
    {% for field in event_fields %}
        min({{ field }}) as {{ field }}{{ ',' if not loop.last }}
    {% endfor %}
    from {{ ref('stg_event_lines') }}
    where {{ accepted_in_batch }}
        and event_id in (select copied_lines.event_id from copied_lines)
    group by event_id

),

distinct_events as (

    select * from single_copies
    union all
    select * from first_of_several_copies

)

select

    ---------- ids
    event_id,
    user_id,
    product_id,
    category_id,
    user_session,
    -- the session the event belongs to; an event without a user_session is a
    -- session of its own, so a purchase without one is an order of its own
    coalesce(user_session, concat('no-session-', event_id)) as session_id,

    ---------- event
    event_time,
    event_date,
    event_type,

    ---------- product attributes as seen on the event
    category_code,
    brand,
    price,

    ---------- lineage
    source_file,
    loaded_in_run

from distinct_events
