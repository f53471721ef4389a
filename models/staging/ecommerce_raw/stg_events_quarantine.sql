-- Raw lines that could not be accepted, each with the reason and how often it
-- occurs in its file, so that no row is dropped without an explanation.

with

rejected_lines as (

    select * from {{ ref('stg_event_lines') }}
    where not is_accepted

),

distinct_rejected_lines as (

    select
        source_period,
        source_file,
        rejection_reason,
        field_count,
        raw_line,
        count(*) as occurrences
    from rejected_lines
    group by source_period, source_file, rejection_reason, field_count, raw_line

)

select

    ---------- lineage
    source_period,
    source_file,

    ---------- what was wrong and the evidence
    rejection_reason,
    cast(occurrences as bigint) as occurrences,
    field_count,
    raw_line

from distinct_rejected_lines
