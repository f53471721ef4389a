"""One raw line split into its fields as a CSV reader (RFC 4180) splits it, in plain Python.

A field is quoted or not. A quoted field starts and ends with a double quote, holds any
text, commas included, and writes a quote inside it twice (`""`); its value is the text
between the quotes with `""` read as `"`. An unquoted field holds no comma and no quote.
A line that breaks these rules (a quote left open, a quote inside an unquoted field, text
after a closing quote) has no fields: the pipeline quarantines it as `unbalanced_quote`.
A line is one physical line: a quoted field holding a line break arrives as two lines,
each with a quote left open.

Written as a state machine, apart from the SQL's regular expressions
(models/staging/ecommerce_raw/base/stg_event_lines.sql), so that a test comparing the two catches a mistake
in either. A line without a quote (every line of the real files) is split on every comma.
"""

from __future__ import annotations

from enum import Enum, auto

QUOTE = '"'
SEPARATOR = ","


class _State(Enum):
    FIELD_START = auto()  # nothing of the current field read yet
    UNQUOTED = auto()  # inside a field that did not start with a quote
    QUOTED = auto()  # inside a quoted field
    QUOTE_IN_QUOTED = auto()  # a quote read inside a quoted field: doubled, or the closing one


def split_fields(line: str) -> list[str] | None:
    """The fields of one line, quotes taken off; None when its quotes are not well formed."""
    if QUOTE not in line:
        return line.split(SEPARATOR)
    return _split_quoted(line)


def _split_quoted(line: str) -> list[str] | None:
    fields: list[str] = []
    current: list[str] = []
    state = _State.FIELD_START
    for char in line:
        if state is _State.QUOTED:
            if char == QUOTE:
                state = _State.QUOTE_IN_QUOTED
            else:
                current.append(char)
        elif state is _State.QUOTE_IN_QUOTED:
            if char == QUOTE:  # "" inside quotes: one quote of the value
                current.append(QUOTE)
                state = _State.QUOTED
            elif char == SEPARATOR:  # the quote closed the field
                fields.append("".join(current))
                current = []
                state = _State.FIELD_START
            else:  # text after a closing quote
                return None
        elif char == SEPARATOR:  # FIELD_START or UNQUOTED: the field ends
            fields.append("".join(current))
            current = []
            state = _State.FIELD_START
        elif char == QUOTE:
            if state is _State.UNQUOTED:  # a quote inside an unquoted field
                return None
            state = _State.QUOTED
        else:
            current.append(char)
            state = _State.UNQUOTED
    if state is _State.QUOTED:  # the last quoted field is never closed
        return None
    fields.append("".join(current))
    return fields
