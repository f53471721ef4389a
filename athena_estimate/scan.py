"""Which tables a statement reads, which of their columns, and with which filters (sqlglot).

What Trino does and this reproduces on the statement's syntax tree:

- a WITH query is inlined at each reference (Trino does not materialize CTEs), so a CTE read
  three times is three scans: each CTE reference is replaced by a copy of its query first;
- only the columns a scan's consumers use are read (`select *` in a CTE whose caller uses two
  columns reads two): sqlglot's qualify expands the stars, pushdown_projections drops what
  nobody uses, and each scope's columns of a table are what that scan reads;
- the conjuncts of a scan's own WHERE that use only that table's columns are its filters,
  for partition pruning (pruning.py); a WHERE that is always false (`1 = 0`, the `where
  false limit 0` of a contract probe) makes every scan beneath it read nothing;
- a MERGE reads its source, and its target's columns that the ON and WHEN clauses use (all
  the target's columns when an UPDATE sets only some of them: the rest are copied from the
  old row); `target.c >= src.c` in the ON clause is noted, pruning it needs dynamic filtering.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass

import sqlglot
from sqlglot import exp
from sqlglot.errors import SqlglotError
from sqlglot.optimizer.pushdown_projections import pushdown_projections
from sqlglot.optimizer.qualify import qualify
from sqlglot.optimizer.scope import Scope, build_scope

from athena_estimate.pruning import always_false

# schema -> table -> column -> type: the tables whose columns a `*` expands to
Catalog = Mapping[str, Mapping[str, Mapping[str, str]]]


@dataclass(frozen=True)
class TableRead:
    """One scan of one table by a statement."""

    schema: str
    table: str
    columns: frozenset[str] | None  # None: every column (the table's columns are unknown)
    predicates: tuple[exp.Expr, ...] = ()  # conjuncts on this table's columns, unqualified
    dead: bool = False  # beneath an always-false filter: nothing is read
    role: str = "scan"  # scan, merge source, merge target
    dynamic_window: str | None = None  # MERGE target column compared `>=` with the source's

    @property
    def relation(self) -> str:
        return f"{self.schema}.{self.table}"

    def filters_sql(self) -> str:
        return " and ".join(p.sql("trino") for p in self.predicates) or "none"


def parse(sql: str) -> exp.Expr:
    statement = sqlglot.parse_one(sql, read="trino")
    if statement is None:
        raise ValueError("empty statement")
    return statement


def _enclosing_cte(table: exp.Table) -> exp.CTE | None:
    """The WITH query a name refers to: the nearest enclosing WITH that defines it; inside a
    CTE's own query, only the CTEs before it (a CTE sees the earlier ones)."""
    name = table.name.lower()
    child: exp.Expr = table
    node = table.parent
    while node is not None:
        candidates: list[exp.Expr] = []
        if isinstance(node, exp.With):
            position = next(i for i, cte in enumerate(node.expressions) if cte is child)
            candidates = node.expressions[:position]
        elif isinstance(node.args.get("with_"), exp.With) and node.args["with_"] is not child:
            candidates = node.args["with_"].expressions
        for cte in reversed(candidates):
            if isinstance(cte, exp.CTE) and cte.alias.lower() == name:
                return cte
        child, node = node, node.parent
    return None


def inline_ctes(tree: exp.Expr) -> exp.Expr:
    """A copy of `tree` where every reference to a WITH query is a copy of that query."""
    tree = tree.copy()
    while True:
        for table in tree.find_all(exp.Table):
            if table.db:
                continue
            cte = _enclosing_cte(table)
            if cte is not None:
                alias = exp.TableAlias(this=exp.to_identifier(table.alias_or_name))
                table.replace(exp.Subquery(this=cte.this.copy(), alias=alias))
                break
        else:
            break
    for with_ in list(tree.find_all(exp.With)):
        with_.pop()
    return tree


def _without_catalog(tree: exp.Expr) -> exp.Expr:
    for table in tree.find_all(exp.Table):
        table.set("catalog", None)
    return tree


def _conjuncts(node: exp.Expr | None) -> Iterator[exp.Expr]:
    while isinstance(node, exp.Paren):
        node = node.this
    if node is None:
        return
    if isinstance(node, exp.And):
        yield from _conjuncts(node.left)
        yield from _conjuncts(node.right)
    else:
        yield node


def _is_dead(scope: Scope) -> bool:
    query = scope.expression
    where = query.args.get("where") if isinstance(query, exp.Select) else None
    limit = query.args.get("limit") if isinstance(query, exp.Query) else None
    if limit is not None and isinstance(limit.expression, exp.Literal) and limit.expression.this == "0":
        return True
    return where is not None and any(always_false(c) for c in _conjuncts(where.this))


def _belongs(column: exp.Column, alias: str, only_source: bool) -> bool:
    """A column of the scan `alias`: qualified with it, or unqualified in a scope of one source
    (a column qualify could not resolve, e.g. of a table whose columns are not known)."""
    return column.table.lower() == alias or (only_source and not column.table)


def _own_predicates(scope: Scope, alias: str, only_source: bool) -> tuple[exp.Expr, ...]:
    """The WHERE conjuncts of `scope` on columns of `alias` only (no subquery), unqualified."""
    query = scope.expression
    where = query.args.get("where") if isinstance(query, exp.Select) else None
    found = []
    for conjunct in _conjuncts(where.this if where is not None else None):
        columns = list(conjunct.find_all(exp.Column))
        if not columns or conjunct.find(exp.Query) is not None:
            continue
        if all(_belongs(column, alias, only_source) for column in columns):
            found.append(_unqualified(conjunct))
    return tuple(found)


def _unqualified(node: exp.Expr) -> exp.Expr:
    copy = node.copy()
    for column in copy.find_all(exp.Column):
        column.set("table", None)
    return copy


def _children(scope: Scope) -> list[Scope]:
    # as Scope.traverse walks them (table_scopes holds the derived tables and table functions)
    return [*scope.cte_scopes, *scope.set_operation_scopes, *scope.table_scopes, *scope.subquery_scopes]


def query_reads(query: exp.Expr, catalog: Catalog) -> list[TableRead]:
    """Every table scan of a query (a SELECT, or the query of a CTAS or INSERT)."""
    tree = _without_catalog(inline_ctes(query))
    resolved = True
    try:
        tree = qualify(tree, schema=dict(catalog), dialect="trino", validate_qualify_columns=False)
        tree = pushdown_projections(tree)
    except SqlglotError:
        resolved = False  # columns unresolved: every scan counts all its table's columns
    root = build_scope(tree)
    if root is None:
        return []
    reads: list[TableRead] = []
    pending: list[tuple[Scope, bool]] = [(root, False)]
    while pending:
        scope, dead_above = pending.pop()
        dead = dead_above or _is_dead(scope)
        selects = scope.expression.selects if isinstance(scope.expression, exp.Query) else []
        has_star = any(isinstance(s, exp.Star) or (isinstance(s, exp.Column) and s.is_star) for s in selects)
        only_source = len(scope.selected_sources) == 1
        for alias, (_node, source) in scope.selected_sources.items():
            if not isinstance(source, exp.Table) or not source.db:
                continue
            known = source.db.lower() in catalog and source.name.lower() in catalog[source.db.lower()]
            columns = {c.name.lower() for c in scope.columns if _belongs(c, alias.lower(), only_source)}
            reads.append(
                TableRead(
                    schema=source.db.lower(),
                    table=source.name.lower(),
                    columns=frozenset(columns) if resolved and (known or not has_star) else None,
                    predicates=_own_predicates(scope, alias.lower(), only_source),
                    dead=dead,
                )
            )
        pending.extend((child, dead) for child in _children(scope))
    return reads


def _merge_reads(merge: exp.Merge, catalog: Catalog) -> list[TableRead]:
    target = merge.this
    using = merge.args["using"]
    if not isinstance(target, exp.Table):
        raise ValueError("MERGE into something other than a table")
    target_alias = target.alias_or_name.lower()
    source_alias = using.alias_or_name.lower()
    schema, table = target.db.lower(), target.name.lower()
    clauses = [merge.args["on"], *(merge.args["whens"].expressions if merge.args.get("whens") else [])]
    used = {
        c.name.lower() for clause in clauses for c in clause.find_all(exp.Column) if c.table.lower() == target_alias
    }
    all_columns = set(catalog.get(schema, {}).get(table, {}))
    for when in clauses[1:]:
        then = when.args.get("then")
        if isinstance(then, exp.Update):
            assigned = {a.this.name.lower() for a in then.expressions if isinstance(a, exp.EQ)}
            used |= all_columns - assigned  # the columns an UPDATE does not set come from the old row
    predicates, window = [], None
    for conjunct in _conjuncts(merge.args["on"]):
        tables = {c.table.lower() for c in conjunct.find_all(exp.Column)}
        if tables == {target_alias} and conjunct.find(exp.Query) is None:
            predicates.append(_unqualified(conjunct))
        elif (
            isinstance(conjunct, exp.GTE)
            and isinstance(conjunct.left, exp.Column)
            and isinstance(conjunct.right, exp.Column)
            and conjunct.left.table.lower() == target_alias
        ):
            window = conjunct.left.name.lower()
    reads = [TableRead(schema, table, frozenset(used), tuple(predicates), role="merge target", dynamic_window=window)]
    if isinstance(using, exp.Table):
        source_columns = {
            c.name.lower() for clause in clauses for c in clause.find_all(exp.Column) if c.table.lower() == source_alias
        }
        reads.append(TableRead(using.db.lower(), using.name.lower(), frozenset(source_columns), role="merge source"))
    else:
        reads += [
            TableRead(r.schema, r.table, r.columns, r.predicates, r.dead, role="merge source")
            for r in query_reads(using.this if isinstance(using, exp.Subquery) else using, catalog)
        ]
    return reads


def _delete_reads(delete: exp.Delete, catalog: Catalog) -> list[TableRead]:
    """An Iceberg DELETE reads the columns of its filter in the partitions the filter selects
    (to find the rows' positions); without a filter it drops whole files and reads nothing."""
    target = delete.this
    if not isinstance(target, exp.Table):
        raise ValueError("DELETE from something other than a table")
    where = delete.args.get("where")
    condition = where.this if isinstance(where, exp.Where) else None
    own = [c for c in _conjuncts(condition) if c.find(exp.Query) is None]
    subqueries = [
        query
        for conjunct in _conjuncts(condition)
        for query in conjunct.find_all(exp.Query)
        if query.find_ancestor(exp.Query) is None  # the outermost: query_reads walks what is inside
    ]
    columns = {
        column.name.lower()
        for column in (condition.find_all(exp.Column) if condition is not None else ())
        if column.find_ancestor(exp.Query) is None  # the target's, not a subquery's
    }
    reads = [
        TableRead(
            target.db.lower(), target.name.lower(), frozenset(columns), tuple(_unqualified(c) for c in own),
            role="delete target",
        )
    ]  # fmt: skip
    for query in subqueries:
        reads += query_reads(query, catalog)
    return reads


_OPTIMIZE = re.compile(
    r"^\s*optimize\s+(?P<table>[^\s]+)\s+rewrite\s+data\s+using\s+bin_pack(\s+where\s+(?P<where>.*))?$",
    re.IGNORECASE | re.DOTALL,
)
_VACUUM = re.compile(r"^\s*vacuum\s", re.IGNORECASE)


def _optimize_reads(match: re.Match[str]) -> list[TableRead]:
    """OPTIMIZE rewrites every column of the partitions its filter selects (sqlglot has no
    grammar for it: the filter is read from a SELECT of the same table)."""
    where = match.group("where")
    query = parse(f"select 1 from {match.group('table')}" + (f" where {where}" if where else ""))
    table = query.find(exp.Table)
    if table is None:
        raise ValueError("OPTIMIZE of something other than a table")
    condition = query.args.get("where")
    predicates = tuple(_unqualified(c) for c in _conjuncts(condition.this if condition is not None else None))
    return [TableRead(table.db.lower(), table.name.lower(), None, predicates, role="optimize")]


def statement_reads(sql: str, catalog: Catalog) -> list[TableRead]:
    """The scans of a SELECT, CTAS, INSERT ... SELECT, MERGE, DELETE or OPTIMIZE; [] for anything
    else (VACUUM removes expired files and reads no table data)."""
    optimize = _OPTIMIZE.match(sql)
    if optimize is not None:
        return _optimize_reads(optimize)
    if _VACUUM.match(sql):
        return []
    statement = _without_catalog(parse(sql))
    if isinstance(statement, exp.Merge):
        return _merge_reads(statement, catalog)
    if isinstance(statement, exp.Delete):
        return _delete_reads(statement, catalog)
    if isinstance(statement, exp.Create | exp.Insert):
        query = statement.expression
        while isinstance(query, exp.Subquery):
            query = query.this
        return query_reads(query, catalog) if isinstance(query, exp.Query) else []
    if isinstance(statement, exp.Query):
        return query_reads(statement, catalog)
    return []
