"""What a finished `dbt build --target athena` cost, per node and in total, from Athena's query
history in the workgroup (`python -m athena_ledger --help`). Statements are matched to the run
by the `invocation_id` in dbt's query comment (macros/query_comment.sql)."""
