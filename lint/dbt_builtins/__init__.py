"""What dbt puts in a model's Jinja context beyond sqlfluff's own dbt builtins.

sqlfluff's jinja templater (see .sqlfluff) renders models with stand-ins for
ref(), source(), config(), var(), this and is_incremental(); the names below
complete it so the project's SQL renders to Athena SQL with no warehouse, no
AWS credentials and no profiles.yml. Every public name in this module becomes a
template global, as dbt's are.

- adapter.dispatch() resolves the project's cross-engine macros the way dbt
  does on the athena target: `athena__<name>`, else `default__<name>`.
- dbt.hash / dbt.dateadd render what dbt-athena's macros render; dbt.datediff a
  Trino date_diff() of the same shape (dbt-athena spells each date part out).
- env_var() gives its default (a setting such as ECOM_RAW_S3_URI is not needed to lint).
- execute is False, as while dbt parses: nothing queries a warehouse (.sqlfluff
  also stands in for the macros of macros/incremental_batches.sql, which would).
"""

from __future__ import annotations

import datetime as _dt
import re as _re
from typing import Any as _Any

from jinja2 import pass_context as _pass_context
from jinja2.runtime import Context as _Context

execute = False


class _Modules:
    """dbt's `modules`: the Python modules a macro may use (the project's use re and datetime)."""

    re = _re
    datetime = _dt


modules = _Modules()


def env_var(name: str, default: str | None = None) -> str:
    """dbt's env_var(): the default, or a stand-in naming the variable (lint reads no environment)."""
    return default if default is not None else f"<{name}>"


# dbt's run start, which the incremental models stamp on the rows they write.
run_started_at = _dt.datetime(2019, 12, 1, tzinfo=_dt.UTC)


class _Adapter:
    """adapter as seen by the project's macros (only dispatch is used)."""

    @staticmethod
    @_pass_context
    def dispatch(context: _Context, macro_name: str, macro_namespace: str | None = None) -> _Any:
        for prefix in ("athena__", "default__"):
            macro = context.get(prefix + macro_name)
            if macro is not None:
                return macro
        raise LookupError(f"no athena__{macro_name} or default__{macro_name} macro in macros/")


class _Dbt:
    """The dbt namespace's cross-database macros that the models call."""

    @staticmethod
    def hash(field: str) -> str:
        return f"lower(to_hex(md5(to_utf8(cast({field} as varchar)))))"

    @staticmethod
    def dateadd(datepart: str, interval: object, from_date_or_timestamp: str) -> str:
        return f"date_add('{datepart}', {interval}, {from_date_or_timestamp})"

    @staticmethod
    def datediff(first_date: str, second_date: str, datepart: str) -> str:
        return f"date_diff('{datepart}', cast({first_date} as timestamp), cast({second_date} as timestamp))"


adapter = _Adapter()
dbt = _Dbt()
