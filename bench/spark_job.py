"""The original pipeline's job on PySpark (local mode), for the benchmark's comparison.

Read the landed Kaggle CSVs, keep the purchases (exact duplicate rows once), build
fact_purchases, dim_user, dim_product, dim_category, dim_time (one row per day),
fact_monthly_summary (revenue, purchases, orders = distinct user_session, customers per month)
and user_ltv (lifetime revenue per user), and write each as parquet under OUT/<table>/.

`python -m bench.spark_job --raw WORK/raw --out WORK/spark` prints, on its last line, a JSON
object with the totals: purchases, revenue (a decimal string) and customers.
"""

from __future__ import annotations

import argparse
import glob
import json
import sys
from collections.abc import Sequence
from pathlib import Path

from pyspark import StorageLevel
from pyspark.sql import Column, DataFrame, SparkSession
from pyspark.sql import functions as F
from pyspark.sql.types import DecimalType, LongType, StringType, StructField, StructType

from bench.floor import raw_glob

EVENT_SCHEMA = StructType(
    [
        StructField("event_time", StringType()),
        StructField("event_type", StringType()),
        StructField("product_id", LongType()),
        StructField("category_id", LongType()),
        StructField("category_code", StringType()),
        StructField("brand", StringType()),
        StructField("price", DecimalType(12, 2)),
        StructField("user_id", LongType()),
        StructField("user_session", StringType()),
    ]
)
DEFAULT_DRIVER_MEMORY = "4g"


def start_spark(driver_memory: str, local_dir: Path | None) -> SparkSession:
    builder = (
        SparkSession.builder.master("local[*]")
        .appName("ecommerce-bench")
        .config("spark.driver.memory", driver_memory)
        .config("spark.sql.session.timeZone", "UTC")
        .config("spark.ui.enabled", "false")
        # The job caches the purchases, and Spark's adaptive execution leaves the partitioning of
        # a cached plan alone unless told it may change it: without this every shuffle after the
        # cache keeps spark.sql.shuffle.partitions (200) tasks whatever the data's size, which is
        # most of a small run's time. With it, adaptive execution sizes them as for any other plan.
        .config("spark.sql.optimizer.canChangeCachedPlanOutputPartitioning", "true")
    )
    if local_dir is not None:
        # Spark's scratch files, the JVM's temporary files and no JVM perf data file in /tmp.
        builder = (
            builder.config("spark.local.dir", str(local_dir))
            .config("spark.sql.warehouse.dir", str(local_dir / "warehouse"))
            .config("spark.driver.extraJavaOptions", f'-Djava.io.tmpdir="{local_dir}" -XX:-UsePerfData')
        )
    spark = builder.getOrCreate()
    spark.sparkContext.setLogLevel("WARN")
    return spark


def read_events(spark: SparkSession, raw: Path) -> DataFrame:
    """The files the dbt source reads, listed here: a glob would make Spark log a stack trace."""
    files = sorted(glob.glob(raw_glob(raw)))
    if not files:
        raise SystemExit(f"error: no landed file matches {raw_glob(raw)}")
    return spark.read.csv(files, header=True, schema=EVENT_SCHEMA, mode="FAILFAST")


def _event_timestamp() -> Column:
    """'2019-10-01 00:00:04 UTC' -> a UTC timestamp (the session time zone is UTC)."""
    return F.to_timestamp(F.substring("event_time", 1, 19), "yyyy-MM-dd HH:mm:ss")


def fact_purchases(events: DataFrame) -> DataFrame:
    purchases = events.where(F.col("event_type") == "purchase").dropDuplicates()
    return (
        purchases.withColumn("purchased_at", _event_timestamp())
        .withColumn("purchase_date", F.to_date("purchased_at"))
        .withColumn("month_start", F.trunc("purchase_date", "month"))
        .withColumn("order_id", F.col("user_session"))
        .drop("event_time", "event_type")
    )


def user_ltv(purchases: DataFrame) -> DataFrame:
    return purchases.groupBy("user_id").agg(
        F.sum("price").alias("lifetime_revenue"),
        F.count(F.lit(1)).alias("purchases"),
        F.countDistinct("order_id").alias("orders"),
        F.min("purchased_at").alias("first_purchase_at"),
        F.max("purchased_at").alias("last_purchase_at"),
    )


def dim_user(ltv: DataFrame) -> DataFrame:
    return ltv.select(
        "user_id",
        "first_purchase_at",
        "last_purchase_at",
        "purchases",
        "orders",
        (F.col("orders") >= 2).alias("is_repeat_customer"),
    )


def dim_product(purchases: DataFrame) -> DataFrame:
    latest = F.max_by(F.struct("category_id", "brand", "price"), "purchased_at")
    return (
        purchases.groupBy("product_id")
        .agg(latest.alias("latest"), F.min("price").alias("min_price"), F.max("price").alias("max_price"))
        .select(
            "product_id",
            F.col("latest.category_id").alias("category_id"),
            F.col("latest.brand").alias("brand"),
            F.col("latest.price").alias("current_price"),
            "min_price",
            "max_price",
        )
    )


def dim_category(purchases: DataFrame) -> DataFrame:
    code = F.col("category_code")
    return (
        purchases.groupBy("category_id")
        .agg(F.max("category_code").alias("category_code"))
        .select(
            "category_id",
            code,
            F.coalesce(code, F.lit("unknown")).alias("category_name"),
            F.coalesce(F.split_part(code, F.lit("."), F.lit(1)), F.lit("unknown")).alias("category_level_1"),
        )
    )


def dim_time(purchases: DataFrame) -> DataFrame:
    bounds = purchases.agg(F.min("purchase_date").alias("first_day"), F.max("purchase_date").alias("last_day"))
    days = bounds.select(F.explode(F.sequence("first_day", "last_day")).alias("date_day"))
    return days.select(
        "date_day",
        F.year("date_day").alias("year_number"),
        F.quarter("date_day").alias("quarter_number"),
        F.month("date_day").alias("month_number"),
        F.trunc("date_day", "month").alias("month_start"),
        F.weekofyear("date_day").alias("iso_week"),
        ((F.dayofweek("date_day") + 5) % 7 + 1).alias("iso_weekday"),
        F.date_format("date_day", "EEEE").alias("weekday_name"),
    )


def fact_monthly_summary(purchases: DataFrame) -> DataFrame:
    return purchases.groupBy("month_start").agg(
        F.sum("price").alias("revenue"),
        F.count(F.lit(1)).alias("purchases"),
        F.countDistinct("user_session").alias("orders"),
        F.countDistinct("user_id").alias("customers"),
    )


def totals(purchases: DataFrame) -> dict[str, int | str]:
    row = purchases.agg(
        F.count(F.lit(1)).alias("purchases"),
        F.sum("price").alias("revenue"),
        F.countDistinct("user_id").alias("customers"),
    ).first()
    if row is None:  # an aggregate always returns one row
        raise RuntimeError("the totals query returned no row")
    revenue = row["revenue"]
    return {
        "purchases": int(row["purchases"]),
        "revenue": "0.00" if revenue is None else str(revenue),
        "customers": int(row["customers"]),
    }


def run(spark: SparkSession, raw: Path, out: Path) -> dict[str, int | str]:
    purchases = fact_purchases(read_events(spark, raw)).persist(StorageLevel.MEMORY_AND_DISK)
    ltv = user_ltv(purchases)
    tables = {
        "fact_purchases": purchases,
        "dim_user": dim_user(ltv),
        "dim_product": dim_product(purchases),
        "dim_category": dim_category(purchases),
        "dim_time": dim_time(purchases),
        "fact_monthly_summary": fact_monthly_summary(purchases),
        "user_ltv": ltv,
    }
    for name, table in tables.items():
        table.write.mode("overwrite").parquet(str(out / name))
    return totals(purchases)


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.spark_job", description=__doc__)
    parser.add_argument("--raw", type=Path, required=True, help="the raw layout root (holds events/)")
    parser.add_argument("--out", type=Path, required=True, help="folder for the parquet tables")
    parser.add_argument("--local-dir", type=Path, help="Spark's scratch folder (default: Spark's, under /tmp)")
    parser.add_argument(
        "--driver-memory", default=DEFAULT_DRIVER_MEMORY, help=f"JVM heap (default {DEFAULT_DRIVER_MEMORY})"
    )
    args = parser.parse_args(argv)
    spark = start_spark(args.driver_memory, args.local_dir)
    try:
        result = run(spark, args.raw, args.out)
    finally:
        spark.stop()
    print(json.dumps(result), flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
