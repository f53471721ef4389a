-- Where every raw row went: accepted, quarantined, or removed as a duplicate.
-- rows_read is counted on the source itself, not derived from the other counts,
-- so the zero-loss test can compare the two sides.

with

raw_rows as (

    select count(*) as rows_read
    from {{ source('ecommerce_raw', 'events') }}

),

line_outcomes as (

    select
        sum(case when is_accepted then occurrences else 0 end) as rows_valid,
        count(distinct case when is_accepted then event_id end) as distinct_valid_rows
    from {{ ref('stg_event_lines') }}

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
    cast(raw_rows.rows_read as bigint) as rows_read,
    cast(accepted.rows_accepted as bigint) as rows_accepted,
    cast(quarantined.rows_quarantined as bigint) as rows_quarantined,
    cast(
        coalesce(line_outcomes.rows_valid, 0)
        - coalesce(line_outcomes.distinct_valid_rows, 0)
        as bigint
    ) as duplicates_removed
from raw_rows
cross join line_outcomes
cross join accepted
cross join quarantined
