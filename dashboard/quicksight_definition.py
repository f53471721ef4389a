"""The QuickSight analysis and dashboard definition, versioned in the repository.

The same visuals as the HTML dashboard (dashboard/render.py): the KPI row, month-over-month
revenue, revenue by weekday within each month, top 5 brands, top 5 categories, the LTV-tier
donut, daily conversion, the conversion funnel and customer cohorts, on one sheet.

Each visual names its columns as (dataset identifier, column): the identifier is the mart's
name, declared against the mart's dataset ARN. A test checks every referenced column against
the mart's contract in target/manifest.json, and `quicksight_desired.desired_resources` refuses to
deploy a definition that references a column the contract does not have.

Bump DEFINITION_VERSION whenever the definition changes: it is the dashboard's version
description, so the QuickSight console shows which definition a version was built from.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

DEFINITION_VERSION = "1"
SHEET_ID = "performance"
# QuickSight's grid layout is 36 columns wide; rows are about 12 px each.
GRID_COLUMNS = 36


def column(mart: str, name: str) -> dict[str, str]:
    return {"DataSetIdentifier": mart, "ColumnName": name}


def measure(field_id: str, mart: str, name: str, aggregation: str = "SUM") -> dict[str, Any]:
    return {
        "NumericalMeasureField": {
            "FieldId": field_id,
            "Column": column(mart, name),
            "AggregationFunction": {"SimpleNumericalAggregation": aggregation},
        }
    }


def category(field_id: str, mart: str, name: str) -> dict[str, Any]:
    return {"CategoricalDimensionField": {"FieldId": field_id, "Column": column(mart, name)}}


def date(field_id: str, mart: str, name: str, granularity: str) -> dict[str, Any]:
    return {"DateDimensionField": {"FieldId": field_id, "Column": column(mart, name), "DateGranularity": granularity}}


def numeric(field_id: str, mart: str, name: str) -> dict[str, Any]:
    return {"NumericalDimensionField": {"FieldId": field_id, "Column": column(mart, name)}}


def title(text: str) -> dict[str, Any]:
    return {"Visibility": "VISIBLE", "FormatText": {"PlainText": text}}


def sort_by_column(mart: str, name: str, direction: str = "ASC") -> dict[str, Any]:
    """Sort a category by another column (weekday names by ISO weekday, tiers by tier order)."""
    return {
        "ColumnSort": {
            "SortBy": column(mart, name),
            "Direction": direction,
            "AggregationFunction": {"NumericalAggregationFunction": {"SimpleNumericalAggregation": "MIN"}},
        }
    }


def sort_by_field(field_id: str, direction: str) -> dict[str, Any]:
    return {"FieldSort": {"FieldId": field_id, "Direction": direction}}


LABELS_ON = {"Visibility": "VISIBLE", "Overlap": "DISABLE_OVERLAP"}


def kpi(visual_id: str, text: str, name: str) -> dict[str, Any]:
    # kpi_summary has exactly one row, so the sum of a column is its value.
    return {
        "KPIVisual": {
            "VisualId": visual_id,
            "Title": title(text),
            "ChartConfiguration": {"FieldWells": {"Values": [measure(f"{visual_id}-value", "kpi_summary", name)]}},
        }
    }


def month_over_month() -> dict[str, Any]:
    mart = "revenue_month_over_month"
    return {
        "ComboChartVisual": {
            "VisualId": "revenue-month-over-month",
            "Title": title("Revenue month over month"),
            "ChartConfiguration": {
                "FieldWells": {
                    "ComboChartAggregatedFieldWells": {
                        "Category": [date("mom-month", mart, "month_start", "MONTH")],
                        "BarValues": [measure("mom-revenue", mart, "revenue")],
                        "LineValues": [measure("mom-change-ratio", mart, "revenue_change_ratio")],
                    }
                },
                "SortConfiguration": {"CategorySort": [sort_by_field("mom-month", "ASC")]},
                "BarDataLabels": LABELS_ON,
                "LineDataLabels": LABELS_ON,
            },
        }
    }


def weekday_by_month() -> dict[str, Any]:
    mart = "revenue_by_weekday"
    return {
        "BarChartVisual": {
            "VisualId": "revenue-by-weekday",
            "Title": title("Revenue by weekday within each month"),
            "ChartConfiguration": {
                "FieldWells": {
                    "BarChartAggregatedFieldWells": {
                        "Category": [category("weekday-name", mart, "weekday_name")],
                        "Values": [measure("weekday-revenue", mart, "revenue")],
                        "Colors": [date("weekday-month", mart, "month_start", "MONTH")],
                    }
                },
                "SortConfiguration": {
                    "CategorySort": [sort_by_column(mart, "iso_weekday")],
                    "ColorSort": [sort_by_field("weekday-month", "ASC")],
                },
                "Orientation": "VERTICAL",
                "BarsArrangement": "CLUSTERED",
            },
        }
    }


def top_five(visual_id: str, text: str, mart: str, name: str) -> dict[str, Any]:
    return {
        "BarChartVisual": {
            "VisualId": visual_id,
            "Title": title(text),
            "ChartConfiguration": {
                "FieldWells": {
                    "BarChartAggregatedFieldWells": {
                        "Category": [category(f"{visual_id}-name", mart, name)],
                        "Values": [measure(f"{visual_id}-revenue", mart, "revenue")],
                    }
                },
                "SortConfiguration": {"CategorySort": [sort_by_field(f"{visual_id}-revenue", "DESC")]},
                "Orientation": "HORIZONTAL",
                "DataLabels": LABELS_ON,
            },
        }
    }


def top_five_filter(visual_id: str, mart: str) -> dict[str, Any]:
    """revenue_rank <= 5 on one visual; a NULL rank (the 'unknown' brand or category) is left out."""
    return {
        "FilterGroupId": f"{visual_id}-rank",
        "CrossDataset": "SINGLE_DATASET",
        "Status": "ENABLED",
        "Filters": [
            {
                "NumericRangeFilter": {
                    "FilterId": f"{visual_id}-rank-filter",
                    "Column": column(mart, "revenue_rank"),
                    "RangeMaximum": {"StaticValue": 5},
                    "IncludeMaximum": True,
                    "NullOption": "NON_NULLS_ONLY",
                }
            }
        ],
        "ScopeConfiguration": {
            "SelectedSheets": {
                "SheetVisualScopingConfigurations": [
                    {"SheetId": SHEET_ID, "Scope": "SELECTED_VISUALS", "VisualIds": [visual_id]}
                ]
            }
        },
    }


def ltv_donut() -> dict[str, Any]:
    mart = "customers_by_ltv_tier"
    return {
        "PieChartVisual": {
            "VisualId": "ltv-tier-donut",
            "Title": title("Customers by LTV tier"),
            "ChartConfiguration": {
                "FieldWells": {
                    "PieChartAggregatedFieldWells": {
                        "Category": [category("ltv-tier", mart, "ltv_tier")],
                        "Values": [measure("ltv-customers", mart, "customers")],
                    }
                },
                "SortConfiguration": {"CategorySort": [sort_by_column(mart, "ltv_tier_order")]},
                "DonutOptions": {"ArcOptions": {"ArcThickness": "MEDIUM"}},
                "DataLabels": LABELS_ON,
            },
        }
    }


def daily_conversion() -> dict[str, Any]:
    mart = "funnel_daily"
    # One row per day, so the average of a rate over a day is that day's rate.
    return {
        "LineChartVisual": {
            "VisualId": "daily-conversion",
            "Title": title("Daily conversion"),
            "ChartConfiguration": {
                "FieldWells": {
                    "LineChartAggregatedFieldWells": {
                        "Category": [date("daily-day", mart, "date_day", "DAY")],
                        "Values": [
                            measure("daily-session-conversion", mart, "session_conversion_rate", "AVERAGE"),
                            measure("daily-purchase-rate", mart, "purchase_rate", "AVERAGE"),
                            measure("daily-cart-rate", mart, "cart_rate", "AVERAGE"),
                        ],
                    }
                },
                "SortConfiguration": {"CategorySort": [sort_by_field("daily-day", "ASC")]},
            },
        }
    }


def conversion_funnel() -> dict[str, Any]:
    mart = "funnel_daily"
    return {
        "BarChartVisual": {
            "VisualId": "conversion-funnel",
            "Title": title("Conversion funnel"),
            "ChartConfiguration": {
                "FieldWells": {
                    "BarChartAggregatedFieldWells": {
                        "Values": [
                            measure("funnel-views", mart, "views"),
                            measure("funnel-carts", mart, "carts"),
                            measure("funnel-purchases", mart, "purchases"),
                            measure("funnel-sessions", mart, "sessions"),
                            measure("funnel-converted-sessions", mart, "converted_sessions"),
                        ]
                    }
                },
                "Orientation": "HORIZONTAL",
                "DataLabels": LABELS_ON,
            },
        }
    }


def cohorts() -> dict[str, Any]:
    mart = "customer_cohorts"
    return {
        "HeatMapVisual": {
            "VisualId": "customer-cohorts",
            "Title": title("Customer cohorts: retention by month"),
            "ChartConfiguration": {
                "FieldWells": {
                    "HeatMapAggregatedFieldWells": {
                        "Rows": [date("cohort-month", mart, "cohort_month", "MONTH")],
                        "Columns": [numeric("cohort-offset", mart, "month_offset")],
                        "Values": [measure("cohort-retention", mart, "retention_rate", "MAX")],
                    }
                },
                "SortConfiguration": {
                    "HeatMapRowSort": [sort_by_field("cohort-month", "ASC")],
                    "HeatMapColumnSort": [sort_by_field("cohort-offset", "ASC")],
                },
                "DataLabels": LABELS_ON,
            },
        }
    }


# (visual, column index, column span, row index, row span) on the 36-column grid, in page order.
def _placed_visuals() -> list[tuple[dict[str, Any], int, int, int, int]]:
    return [
        (kpi("kpi-lifetime-revenue", "Lifetime revenue", "lifetime_revenue"), 0, 9, 0, 5),
        (kpi("kpi-avg-customer-ltv", "Average customer LTV", "avg_customer_ltv"), 9, 9, 0, 5),
        (kpi("kpi-total-customers", "Total customers", "total_customers"), 18, 9, 0, 5),
        (kpi("kpi-repeat-customers", "Repeat customers", "repeat_customers"), 27, 9, 0, 5),
        (month_over_month(), 0, 15, 5, 12),
        (weekday_by_month(), 15, 21, 5, 12),
        (top_five("top-5-brands", "Top 5 brands by revenue", "revenue_by_brand", "brand_name"), 0, 12, 17, 12),
        (
            top_five("top-5-categories", "Top 5 categories by revenue", "revenue_by_category", "category_name"),
            12,
            12,
            17,
            12,
        ),
        (ltv_donut(), 24, 12, 17, 12),
        (daily_conversion(), 0, 36, 29, 10),
        (conversion_funnel(), 0, 15, 39, 12),
        (cohorts(), 15, 21, 39, 12),
    ]


def visual_id(visual: Mapping[str, Any]) -> str:
    (body,) = visual.values()
    return body["VisualId"]


def build_definition(dataset_arns: Mapping[str, str]) -> dict[str, Any]:
    """The `Definition` of CreateAnalysis / CreateDashboard, given the ARN of each mart's dataset."""
    placed = _placed_visuals()
    layout = [
        {
            "ElementId": visual_id(visual),
            "ElementType": "VISUAL",
            "ColumnIndex": col,
            "ColumnSpan": span,
            "RowIndex": row,
            "RowSpan": rows,
        }
        for visual, col, span, row, rows in placed
    ]
    return {
        "DataSetIdentifierDeclarations": [
            {"Identifier": mart, "DataSetArn": arn} for mart, arn in dataset_arns.items()
        ],
        "Sheets": [
            {
                "SheetId": SHEET_ID,
                "Name": "Performance",
                "Visuals": [visual for visual, *_ in placed],
                "Layouts": [{"Configuration": {"GridLayout": {"Elements": layout}}}],
            }
        ],
        "FilterGroups": [
            top_five_filter("top-5-brands", "revenue_by_brand"),
            top_five_filter("top-5-categories", "revenue_by_category"),
        ],
    }


def referenced_columns(definition: Any) -> Iterator[tuple[str, str]]:
    """Every (dataset identifier, column) the definition uses, anywhere in it."""
    if isinstance(definition, dict):
        if set(definition) == {"DataSetIdentifier", "ColumnName"}:
            yield definition["DataSetIdentifier"], definition["ColumnName"]
        for value in definition.values():
            yield from referenced_columns(value)
    elif isinstance(definition, list):
        for item in definition:
            yield from referenced_columns(item)
