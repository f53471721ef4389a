"""Data health, computed once for `python -m mart_oracle report` and the HTML dashboard: the last
landing (staging.stg_landed_files), dbt source freshness (target/sources.json) and the state of
every monitor, the warn-severity dbt tests tagged `monitor` (target/run_results.json and
target/manifest.json). `summary.read_health` reads it; `text.format_health` prints it."""
