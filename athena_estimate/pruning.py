"""Partition pruning on paper: may a partition (or a raw file) hold rows that a statement's
filters keep?

A filter is evaluated in three-valued logic against what a partition says about its rows: the
exact value of an identity partition column (`source_period = 201911`, a raw file's `year`,
`month` and `"$path"`), or the range of a transformed one (`day(event_time)` = 2019-11-30
holds event_time in [2019-11-30 00:00, 2019-11-30 23:59:59.999999]). Only literals are
evaluated: a subquery, a column of another table or a function gives UNKNOWN, which never
prunes. A partition is skipped only when some conjunct is certainly false for all its rows.
"""

from __future__ import annotations

import datetime as dt
import decimal
import operator
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlglot import exp


@dataclass(frozen=True)
class Range:
    """Every value of a column in a partition lies within [low, high]."""

    low: Any
    high: Any


class _Unknown:
    def __repr__(self) -> str:
        return "UNKNOWN"


UNKNOWN = _Unknown()
Value = int | decimal.Decimal | float | str | bool | dt.date | dt.datetime | Range
Result = Value | _Unknown

_COMPARISONS: dict[type[exp.Expr], str] = {
    exp.EQ: "eq",
    exp.NEQ: "ne",
    exp.GT: "gt",
    exp.GTE: "ge",
    exp.LT: "lt",
    exp.LTE: "le",
}
_FLIPPED = {"eq": "eq", "ne": "ne", "gt": "lt", "ge": "le", "lt": "gt", "le": "ge"}
_OPERATORS: dict[str, Callable[[Any, Any], bool]] = {
    "eq": operator.eq,
    "ne": operator.ne,
    "gt": operator.gt,
    "ge": operator.ge,
    "lt": operator.lt,
    "le": operator.le,
}

# set by the caller that knows the raw layout: maps a "$path" literal to the canonical form
PathCanonicalizer = Callable[[str], str | None]


def _is_plain_date(value: object) -> bool:
    return isinstance(value, dt.date) and not isinstance(value, dt.datetime)


def _coerce(left: Any, right: Any) -> tuple[Any, Any]:
    """A date compared with a timestamp is that day at midnight (as in Trino)."""
    if _is_plain_date(left) and isinstance(right, dt.datetime):
        return dt.datetime.combine(left, dt.time()), right
    if isinstance(left, dt.datetime) and _is_plain_date(right):
        return left, dt.datetime.combine(right, dt.time())
    return left, right


def _comparable(left: Any, right: Any) -> bool:
    numbers = (int, decimal.Decimal, float)
    if isinstance(left, bool) or isinstance(right, bool):
        return isinstance(left, bool) and isinstance(right, bool)
    if isinstance(left, numbers) and isinstance(right, numbers):
        return True
    if isinstance(left, dt.date) and isinstance(right, dt.date):
        return True
    return isinstance(left, str) and isinstance(right, str)


def compare(op: str, left: Result, right: Result) -> Result:
    """`left <op> right` where either side may be a Range: True, False or UNKNOWN."""
    if isinstance(left, _Unknown) or isinstance(right, _Unknown):
        return UNKNOWN
    if isinstance(left, Range) and isinstance(right, Range):
        return UNKNOWN
    if isinstance(right, Range):
        return compare(_FLIPPED[op], right, left)
    if isinstance(left, Range):
        low, value = _coerce(left.low, right)
        high, _ = _coerce(left.high, right)
        if not (_comparable(low, value) and _comparable(high, value)):
            return UNKNOWN
        if low == high:
            return _OPERATORS[op](low, value)
        certainly, impossible = {
            "eq": (False, value < low or value > high),
            "ne": (value < low or value > high, False),
            "gt": (low > value, high <= value),
            "ge": (low >= value, high < value),
            "lt": (high < value, low >= value),
            "le": (high <= value, low > value),
        }[op]
        return True if certainly else False if impossible else UNKNOWN
    left, right = _coerce(left, right)
    if not _comparable(left, right):
        return UNKNOWN
    return _OPERATORS[op](left, right)


def _not(value: Result) -> Result:
    return (not value) if isinstance(value, bool) else UNKNOWN


def _all(values: Sequence[Result]) -> Result:
    if any(v is False for v in values):
        return False
    return True if all(v is True for v in values) else UNKNOWN


def _any(values: Sequence[Result]) -> Result:
    if any(v is True for v in values):
        return True
    return False if all(v is False for v in values) else UNKNOWN


def _literal(node: exp.Literal, paths: PathCanonicalizer | None) -> Result:
    if node.is_string:
        text = str(node.this)
        canonical = paths(text) if paths is not None else None
        return canonical if canonical is not None else text
    try:
        return int(node.this)
    except ValueError:
        return decimal.Decimal(node.this)


def _cast(node: exp.Cast, env: Mapping[str, Value], paths: PathCanonicalizer | None) -> Result:
    inner = evaluate(node.this, env, paths)
    target = node.to.this
    T = exp.DataType.Type
    if isinstance(inner, Range) and target == T.DATE:
        return Range(_as_date(inner.low), _as_date(inner.high))
    if isinstance(inner, _Unknown | Range):
        return UNKNOWN
    try:
        if target == T.DATE:
            return _as_date(inner) if isinstance(inner, dt.date) else dt.date.fromisoformat(str(inner)[:10])
        if target in (T.TIMESTAMP, T.DATETIME):
            return inner if isinstance(inner, dt.datetime) else dt.datetime.fromisoformat(str(inner))
        if target in (T.INT, T.BIGINT, T.SMALLINT, T.TINYINT):
            return int(str(inner))
        if target in (T.VARCHAR, T.TEXT, T.CHAR):
            return str(inner)
    except ValueError:
        return UNKNOWN
    return UNKNOWN


def _as_date(value: Any) -> Any:
    return value.date() if isinstance(value, dt.datetime) else value


def _arithmetic(node: exp.Expr, env: Mapping[str, Value], paths: PathCanonicalizer | None) -> Result:
    assert isinstance(node, exp.Binary)
    left, right = evaluate(node.left, env, paths), evaluate(node.right, env, paths)
    numbers = (int, decimal.Decimal)
    if isinstance(left, bool) or isinstance(right, bool):
        return UNKNOWN
    if not (isinstance(left, numbers) and isinstance(right, numbers)):
        return UNKNOWN
    if isinstance(node, exp.Add):
        return left + right
    if isinstance(node, exp.Sub):
        return left - right
    return left * right


def evaluate(node: exp.Expr, env: Mapping[str, Value], paths: PathCanonicalizer | None = None) -> Result:
    """The value of `node` given the columns' values (or ranges) in `env`; UNKNOWN when it
    depends on anything else."""
    if isinstance(node, exp.Paren):
        return evaluate(node.this, env, paths)
    if isinstance(node, exp.Boolean):
        return bool(node.this)
    if isinstance(node, exp.Literal):
        return _literal(node, paths)
    if isinstance(node, exp.Column):
        return env.get(node.name.lower(), UNKNOWN)
    if isinstance(node, exp.Cast):  # TryCast is a Cast too
        return _cast(node, env, paths)
    if isinstance(node, exp.Add | exp.Sub | exp.Mul):
        return _arithmetic(node, env, paths)
    if isinstance(node, exp.And):
        return _all([evaluate(node.left, env, paths), evaluate(node.right, env, paths)])
    if isinstance(node, exp.Or):
        return _any([evaluate(node.left, env, paths), evaluate(node.right, env, paths)])
    if isinstance(node, exp.Not):
        return _not(evaluate(node.this, env, paths))
    if type(node) in _COMPARISONS:
        assert isinstance(node, exp.Binary)
        return compare(_COMPARISONS[type(node)], evaluate(node.left, env, paths), evaluate(node.right, env, paths))
    if isinstance(node, exp.In):
        if node.args.get("query") is not None or node.args.get("unnest") is not None:
            return UNKNOWN
        value = evaluate(node.this, env, paths)
        return _any([compare("eq", value, evaluate(item, env, paths)) for item in node.expressions])
    if isinstance(node, exp.Between):
        value = evaluate(node.this, env, paths)
        low, high = evaluate(node.args["low"], env, paths), evaluate(node.args["high"], env, paths)
        return _all([compare("ge", value, low), compare("le", value, high)])
    return UNKNOWN


def may_match(predicates: Sequence[exp.Expr], env: Mapping[str, Value], paths: PathCanonicalizer | None = None) -> bool:
    """False when some conjunct is certainly false for every row the partition holds."""
    return all(evaluate(predicate, env, paths) is not False for predicate in predicates)


def always_false(predicate: exp.Expr) -> bool:
    """A filter that no row passes whatever its values (`1 = 0`, `false`): Trino reads nothing."""
    return evaluate(predicate, {}) is False
