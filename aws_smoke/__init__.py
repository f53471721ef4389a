"""The AWS smoke check (`python -m aws_smoke`, `make athena-smoke`): the pipeline once on a real account."""
