-- Raw lines that could not be accepted, each with the reason, so that no row
-- is dropped without an explanation.

with

rejected_lines as (

    select * from {{ ref('stg_event_lines') }}
    where not is_accepted

)

select

    ---------- lineage
    source_file,
    source_year,
    source_month,

    ---------- what was wrong and the evidence
    rejection_reason,
    field_count,
    raw_line

from rejected_lines
