-- Raw lines that could not be accepted, each with the reason and how often it
-- occurs, so that no row is dropped without an explanation.

with

rejected_lines as (

    select * from {{ ref('stg_event_lines') }}
    where not is_accepted

)

select

    ---------- lineage
    source_period,
    source_file,

    ---------- what was wrong and the evidence
    rejection_reason,
    occurrences,
    field_count,
    raw_line

from rejected_lines
