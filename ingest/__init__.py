"""Ingest tools for the e-commerce clickstream: generate, land and (later) crawl raw events."""

KAGGLE_HEADER = (
    "event_time",
    "event_type",
    "product_id",
    "category_id",
    "category_code",
    "brand",
    "price",
    "user_id",
    "user_session",
)

__all__ = ["KAGGLE_HEADER"]
