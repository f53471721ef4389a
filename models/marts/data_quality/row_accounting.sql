-- Where every raw row went, per landing run: read, accepted, quarantined, or
-- removed as a duplicate. A file counts for the landing run of its current
-- version (a replaced file moves to the run that replaced it); lines of a file
-- the manifest does not name count under `unrecorded`. rows_read is counted on
-- the source itself (stg_raw_files), not derived from the other counts, so the
-- zero-loss test can compare the two sides. An accepted line kept once for
-- several copies counts as accepted for the file its event names (the first
-- by path) and as a duplicate for the others.

with

landing_runs as (
    select
        landing_run_id,
        max(landed_at) as landed_at,
        count(*) as files_landed
    from {{ ref('stg_landed_files') }}
    group by landing_run_id
),

file_runs as (
    -- each file's run: that of its current version
    select
        source_file,
        landing_run_id
    from {{ ref('stg_landed_files') }}
    where is_current_version
),

read_by_file as (
    select
        source_file,
        lines_read
    from {{ ref('stg_raw_files') }}
),

accepted_copies_by_file as (
    select
        source_file,
        count(*) as accepted_copies
    from {{ ref('stg_event_lines') }}
    where is_accepted
    group by source_file
),

events_by_file as (
    select
        source_file,
        count(*) as events_kept
    from {{ ref('stg_events') }}
    group by source_file
),

quarantined_by_file as (
    select
        source_file,
        sum(occurrences) as lines_quarantined
    from {{ ref('stg_events_quarantine') }}
    group by source_file
),

per_file as (
    select
        coalesce(file_runs.landing_run_id, 'unrecorded') as landing_run_id,
        read_by_file.lines_read,
        coalesce(accepted_copies_by_file.accepted_copies, 0) as accepted_copies,
        coalesce(events_by_file.events_kept, 0) as events_kept,
        coalesce(quarantined_by_file.lines_quarantined, 0) as lines_quarantined
    from read_by_file
    left join file_runs on read_by_file.source_file = file_runs.source_file
    left join accepted_copies_by_file on read_by_file.source_file = accepted_copies_by_file.source_file
    left join events_by_file on read_by_file.source_file = events_by_file.source_file
    left join quarantined_by_file on read_by_file.source_file = quarantined_by_file.source_file
),

per_run as (
    select
        landing_run_id,
        sum(lines_read) as rows_read,
        sum(events_kept) as rows_accepted,
        sum(lines_quarantined) as rows_quarantined,
        sum(accepted_copies) - sum(events_kept) as duplicates_removed
    from per_file
    group by landing_run_id
),

every_run as (
    -- every landing run, also one whose files were all replaced since (zero rows),
    -- and `unrecorded` when a file outside the manifest was read
    select landing_run_id from landing_runs
    union
    select landing_run_id from per_run
)

select
    every_run.landing_run_id,
    landing_runs.landed_at,
    cast(coalesce(landing_runs.files_landed, 0) as bigint) as files_landed,
    cast(coalesce(per_run.rows_read, 0) as bigint) as rows_read,
    cast(coalesce(per_run.rows_accepted, 0) as bigint) as rows_accepted,
    cast(coalesce(per_run.rows_quarantined, 0) as bigint) as rows_quarantined,
    cast(coalesce(per_run.duplicates_removed, 0) as bigint) as duplicates_removed
from every_run
left join landing_runs on every_run.landing_run_id = landing_runs.landing_run_id
left join per_run on every_run.landing_run_id = per_run.landing_run_id
