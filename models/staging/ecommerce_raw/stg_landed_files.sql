-- One row per file a landing recorded in the manifest, typed, with the path
-- the raw-reading models see (`source_file`) and whether it is the file's
-- current version. The incremental models ask it which files are new, late or
-- replaced; row_accounting groups by its landing runs; the monitors compare
-- it with what was read.

with

source as (

    select * from {{ source('ecommerce_raw', 'landed_files') }}

),

renamed as (

    select

        ---------- the file, as landed and as the raw source names it
        file_path,
        concat({{ sql_string_literal(raw_landing_root() ~ '/') }}, file_path) as source_file,
        cast(concat(landing_month, '-01') as date) as landing_month,
        cast(replace(landing_month, '-', '') as integer) as landing_period,
        sha256 as file_sha256,

        ---------- what the landing read in it
        cast(first_event_day as date) as first_event_date,
        cast(last_event_day as date) as last_event_date,
        cast(last_event_at as timestamp) as last_event_at,
        cast(row_count as bigint) as lines_landed,

        ---------- the landing
        cast(landed_at as timestamp) as landed_at,
        landing_run_id

    from source

),

versions as (

    select

        *,

        -- the latest landing of a path is its content now; earlier ones were replaced
        row_number() over (
            partition by file_path order by landed_at desc, landing_run_id desc
        ) = 1 as is_current_version

    from renamed

)

select
    file_path,
    source_file,
    landing_month,
    landing_period,
    file_sha256,
    first_event_date,
    last_event_date,
    last_event_at,
    lines_landed,
    landed_at,
    landing_run_id,
    is_current_version
from versions
