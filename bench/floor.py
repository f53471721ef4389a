"""The floor: DuckDB reading the landed CSVs once, with normal CSV parsing, and nothing else.

`python -m bench.floor --raw WORK/raw` prints, on its last line, a JSON object with the
number of data rows and the sum of the prices (a decimal string).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path

import duckdb

# The Kaggle columns with the types a reader would give them; event_time stays text
# because of its ' UTC' suffix.
KAGGLE_COLUMNS = {
    "event_time": "VARCHAR",
    "event_type": "VARCHAR",
    "product_id": "BIGINT",
    "category_id": "BIGINT",
    "category_code": "VARCHAR",
    "brand": "VARCHAR",
    "price": "DECIMAL(12, 2)",
    "user_id": "BIGINT",
    "user_session": "VARCHAR",
}


def raw_glob(raw: Path) -> str:
    """Every landed file, as the dbt source reads them."""
    return str(raw / "events" / "*" / "*" / "*.csv*")


def floor_sql() -> str:
    columns = ", ".join(f"'{name}': '{kind}'" for name, kind in KAGGLE_COLUMNS.items())
    return (
        "select count(*) as rows, sum(price) as price_sum "
        f"from read_csv($files, header = true, auto_detect = false, columns = {{{columns}}})"
    )


def read_floor(raw: Path) -> dict[str, int | str]:
    with duckdb.connect() as connection:
        found = connection.execute(floor_sql(), {"files": raw_glob(raw)}).fetchone()
    if found is None:  # an aggregate always returns one row
        raise RuntimeError("the floor query returned no row")
    rows, price_sum = found
    return {"rows": int(rows), "price_sum": str(price_sum)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.floor", description=__doc__)
    parser.add_argument("--raw", type=Path, required=True, help="the raw layout root (holds events/)")
    args = parser.parse_args(argv)
    try:
        totals = read_floor(args.raw)
    except duckdb.Error as error:
        print(f"error: DuckDB could not read {raw_glob(args.raw)}: {str(error).splitlines()[0]}", file=sys.stderr)
        return 1
    print(json.dumps(totals))
    return 0


if __name__ == "__main__":
    sys.exit(main())
