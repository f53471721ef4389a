-- Where every raw row went: accepted, quarantined, or removed as a duplicate.
-- rows_read is counted on the source itself (stg_raw_files), not derived from
-- the other counts, so the zero-loss test can compare the two sides.

with

raw_files as (

    select coalesce(sum(lines_read), 0) as rows_read
    from {{ ref('stg_raw_files') }}

),

accepted_lines as (

    select count(*) as rows_valid
    from {{ ref('stg_event_lines') }}
    where is_accepted

),

accepted as (

    select count(*) as rows_accepted
    from {{ ref('stg_events') }}

),

quarantined as (

    select coalesce(sum(occurrences), 0) as rows_quarantined
    from {{ ref('stg_events_quarantine') }}

)

select
    cast(raw_files.rows_read as bigint) as rows_read,
    cast(accepted.rows_accepted as bigint) as rows_accepted,
    cast(quarantined.rows_quarantined as bigint) as rows_quarantined,
    -- stg_events holds one row per distinct accepted line: every other
    -- accepted copy is a duplicate
    cast(accepted_lines.rows_valid - accepted.rows_accepted as bigint) as duplicates_removed
from raw_files
cross join accepted_lines
cross join accepted
cross join quarantined
