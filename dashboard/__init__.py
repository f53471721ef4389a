"""The e-commerce performance dashboard, twice: a self-contained HTML file rendered from the
DuckDB marts (`render`, `export`), and the same dashboard as QuickSight resources on Athena
(`quicksight` and the `quicksight_*` modules). Both read exactly the marts of the dbt exposure
`ecommerce_performance_dashboard`; `python -m dashboard --help` is the entry point."""
