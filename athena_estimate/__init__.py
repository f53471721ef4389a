"""Athena, on paper: what the captured dbt-athena SQL would scan on Athena at a given scale
(`python -m athena_estimate --help`)."""
