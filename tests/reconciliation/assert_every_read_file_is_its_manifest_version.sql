-- From landing to warehouse, nothing lost: every raw file staging counted is
-- named by the landing manifest, as the version the manifest calls current,
-- with the number of lines the landing counted in it. A row here is a file
-- put under events/ by hand (land it with `python -m ingest land`), a file
-- that changed after it was landed, or lines one side lost.

with

counted as (
    select
        source_file,
        source_file_sha256,
        lines_read
    from {{ ref('stg_raw_files') }}
),

current_versions as (
    select
        source_file,
        file_sha256,
        lines_landed
    from {{ ref('stg_landed_files') }}
    where is_current_version
)

select
    counted.source_file,
    counted.source_file_sha256,
    counted.lines_read,
    current_versions.file_sha256 as manifest_sha256,
    current_versions.lines_landed as manifest_lines_landed,
    case
        when current_versions.source_file is null then 'not in the landing manifest'
        when counted.source_file_sha256 is null
            or counted.source_file_sha256 <> current_versions.file_sha256 then 'not the current version'
        else 'line counts differ'
    end as problem
from counted
left join current_versions
    on counted.source_file = current_versions.source_file
where current_versions.source_file is null
    or counted.source_file_sha256 is null
    or counted.source_file_sha256 <> current_versions.file_sha256
    or counted.lines_read <> current_versions.lines_landed
