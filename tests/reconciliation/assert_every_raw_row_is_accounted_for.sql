-- Nothing is lost silently: every raw line is accepted, quarantined with a
-- reason, or removed as an exact duplicate of an accepted line, and every
-- landed file was read by staging. Each side is counted here from the models
-- themselves, independently of row_accounting.

with

raw_rows as (
    select coalesce(sum(lines_read), 0) as n from {{ ref('stg_raw_files') }}
),

files_counted as (
    select distinct source_file from {{ ref('stg_raw_files') }}
),

files_staged as (
    select distinct source_file from {{ ref('stg_event_lines') }}
),

unstaged_files as (
    -- a file with lines that staging never read
    select count(*) as n
    from {{ ref('stg_raw_files') }} as counted
    where counted.lines_read > 0
        and counted.source_file not in (select files_staged.source_file from files_staged)
),

unknown_files as (
    -- a file in staging that was never counted
    select count(*) as n
    from files_staged
    where files_staged.source_file not in (select files_counted.source_file from files_counted)
),

accepted as (
    select count(*) as n from {{ ref('stg_events') }}
),

quarantined as (
    select coalesce(sum(occurrences), 0) as n from {{ ref('stg_events_quarantine') }}
),

duplicates as (
    -- every copy of an accepted line beyond the first, counted per event
    select coalesce(sum(copies) - count(*), 0) as n
    from (
        select event_id, sum(occurrences) as copies
        from {{ ref('stg_event_lines') }}
        where rejection_reason is null
        group by event_id
    ) as copies_per_event
),

reported as (
    select * from {{ ref('row_accounting') }}
)

select
    raw_rows.n as rows_read,
    accepted.n as rows_accepted,
    quarantined.n as rows_quarantined,
    duplicates.n as duplicates_removed,
    unstaged_files.n as unstaged_files,
    unknown_files.n as unknown_files
from raw_rows
cross join accepted
cross join quarantined
cross join duplicates
cross join unstaged_files
cross join unknown_files
cross join reported
where raw_rows.n <> accepted.n + quarantined.n + duplicates.n
    or unstaged_files.n > 0
    or unknown_files.n > 0
    or reported.rows_read <> raw_rows.n
    or reported.rows_accepted <> accepted.n
    or reported.rows_quarantined <> quarantined.n
    or reported.duplicates_removed <> duplicates.n
