"""Landing and cataloguing raw e-commerce clickstream files: checked, copied into the raw layout
(locally or in S3) and catalogued by a Glue crawler. `python -m ingest {land,crawl,load}`."""

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
