-- Nothing is lost silently: every raw line is accepted, quarantined with a
-- reason, or removed as an exact duplicate of an accepted line. Each side is
-- counted here from the models themselves, independently of row_accounting.

with

raw_rows as (
    select count(*) as n from {{ source('ecommerce_raw', 'events') }}
),

accepted as (
    select count(*) as n from {{ ref('stg_events') }}
),

quarantined as (
    select coalesce(sum(occurrences), 0) as n from {{ ref('stg_events_quarantine') }}
),

duplicates as (
    -- every copy of an accepted line beyond the first
    select coalesce(sum(occurrences), 0) - count(distinct event_id) as n
    from {{ ref('stg_event_lines') }}
    where rejection_reason is null
),

reported as (
    select * from {{ ref('row_accounting') }}
)

select
    raw_rows.n as rows_read,
    accepted.n as rows_accepted,
    quarantined.n as rows_quarantined,
    duplicates.n as duplicates_removed
from raw_rows
cross join accepted
cross join quarantined
cross join duplicates
cross join reported
where raw_rows.n <> accepted.n + quarantined.n + duplicates.n
    or reported.rows_read <> raw_rows.n
    or reported.rows_accepted <> accepted.n
    or reported.rows_quarantined <> quarantined.n
    or reported.duplicates_removed <> duplicates.n
