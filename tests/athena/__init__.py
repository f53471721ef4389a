"""Athena conformance harness: dbt-athena runs against an in-process moto server, and every
statement it sends is classified and checked with the parser of the engine that runs it."""
