-- Nothing is lost silently: every raw line is accepted, quarantined with a
-- reason, or removed as an exact duplicate of an accepted line, and every
-- landed file was read by staging. Each side is counted here from the models
-- themselves, independently of row_accounting. The one costly count, distinct
-- accepted lines against the events kept, covers the days of the latest batch
-- of stg_event_lines: every day on a full build, the new days on an
-- incremental one (earlier days were checked by the run that loaded them).

with

raw_rows as (
    select coalesce(sum(lines_read), 0) as n from {{ ref('stg_raw_files') }}
),

staged_rows as (
    select
        count(*) as n,
        coalesce(sum(case when is_accepted then 1 else 0 end), 0) as accepted_copies
    from {{ ref('stg_event_lines') }}
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

latest_batch_days as (
    select distinct staged.event_date
    from {{ ref('stg_event_lines') }} as staged
    where staged.loaded_in_run = (select max(latest.loaded_in_run) from {{ ref('stg_event_lines') }} as latest)
        and staged.event_date is not null
),

distinct_accepted_lines_on_batch_days as (
    select count(distinct staged.event_id) as n
    from {{ ref('stg_event_lines') }} as staged
    where staged.is_accepted
        and staged.event_date in (select latest_batch_days.event_date from latest_batch_days)
),

events_on_batch_days as (
    select count(*) as n
    from {{ ref('stg_events') }} as kept
    where kept.event_date in (select latest_batch_days.event_date from latest_batch_days)
),

reported as (
    -- one row per landing run: the totals
    select
        coalesce(sum(rows_read), 0) as rows_read,
        coalesce(sum(rows_accepted), 0) as rows_accepted,
        coalesce(sum(rows_quarantined), 0) as rows_quarantined,
        coalesce(sum(duplicates_removed), 0) as duplicates_removed
    from {{ ref('row_accounting') }}
)

select
    raw_rows.n as rows_read,
    staged_rows.n as rows_staged,
    accepted.n as rows_accepted,
    quarantined.n as rows_quarantined,
    distinct_accepted_lines_on_batch_days.n as distinct_accepted_lines_on_batch_days,
    events_on_batch_days.n as events_on_batch_days,
    unstaged_files.n as unstaged_files,
    unknown_files.n as unknown_files
from raw_rows
cross join staged_rows
cross join accepted
cross join quarantined
cross join distinct_accepted_lines_on_batch_days
cross join events_on_batch_days
cross join unstaged_files
cross join unknown_files
cross join reported
where raw_rows.n <> staged_rows.n
    or staged_rows.n <> staged_rows.accepted_copies + quarantined.n
    or distinct_accepted_lines_on_batch_days.n <> events_on_batch_days.n
    or unstaged_files.n > 0
    or unknown_files.n > 0
    or reported.rows_read <> raw_rows.n
    or reported.rows_accepted <> accepted.n
    or reported.rows_quarantined <> quarantined.n
    or reported.duplicates_removed <> staged_rows.accepted_copies - accepted.n
