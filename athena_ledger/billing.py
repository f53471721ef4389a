"""What Athena bills for a query: the bytes it scanned, rounded up to the megabyte, 10 MB at
least, at a price per terabyte. DDL (CREATE EXTERNAL TABLE, CREATE SCHEMA, ALTER, DROP,
SHOW/DESCRIBE) and views are free, and so are failed queries; a cancelled query is billed what
it scanned. The one definition: athena_estimate imports it from here."""

from __future__ import annotations

MB = 1_000_000
GB = 1_000_000_000
TB = 1_000_000_000_000
MIN_BILLED = 10 * MB
USD_PER_TB = 5.0  # most regions; some charge more (--price-per-tb)

# The statements Athena bills whatever they scan: queries, CTAS and DML (INSERT, MERGE, an
# Iceberg DELETE) and Iceberg maintenance. The names are the statement kinds of
# athena_ledger.statement (and the estimate's).
CHARGED_KINDS = frozenset({"SELECT", "CTAS", "INSERT", "MERGE", "DELETE", "OPTIMIZE/VACUUM"})


def billed_bytes(scanned: int) -> int:
    """What Athena bills for one query that scanned `scanned` bytes."""
    return max(MIN_BILLED, -(-scanned // MB) * MB)


def usd(billed: int, price_per_tb: float = USD_PER_TB) -> float:
    return billed / TB * price_per_tb


def is_charged(kind: str, failed: bool, scanned: int = 0) -> bool:
    """Athena bills it: a query or DML statement (or any statement that scanned data, such as an
    Iceberg DELETE) that did not fail."""
    return not failed and (kind in CHARGED_KINDS or scanned > 0)
