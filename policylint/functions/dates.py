"""Functions over dates. `today()` honours SOURCE_DATE_EPOCH so runs are reproducible."""
from __future__ import annotations

import datetime
import os

from ..signature import builtin
from ..types import ANY, DATE, NUMBER


@builtin("today", {}, DATE, "Today's date (UTC), or the date of SOURCE_DATE_EPOCH when it is set.", repo=True)
def today(repo):
    """Asked of the repository, as a git fact is: the results cache keeps the date as an input
    of the evaluations that asked for it, not of every verdict (a new day evaluates only them)."""
    return repo.memo(("today",), current_date)


def current_date() -> datetime.date:
    """Today's date in UTC, or SOURCE_DATE_EPOCH's (a malformed one stops the run: exit 2)."""
    epoch = os.environ.get("SOURCE_DATE_EPOCH")
    if not epoch:
        return datetime.datetime.now(datetime.timezone.utc).date()
    try:  # ASCII digits only (`"²".isdigit()` is true), within the dates Python can hold
        if not (epoch.isascii() and epoch.isdigit() and len(epoch) <= 12):
            raise ValueError
        return datetime.datetime.fromtimestamp(int(epoch), datetime.timezone.utc).date()
    except (ValueError, OverflowError, OSError):  # the environment is wrong, not the repository: exit 2
        from ..diagnostics import Diagnostic
        from ..errors import PolicylintError

        raise PolicylintError(Diagnostic("PL300", f"the environment's SOURCE_DATE_EPOCH `{epoch[:40]}` is not a "
                                                  "whole number of seconds since 1970", None,
                                         "set it as reproducible builds do (`date +%s`), or unset it")) from None


def as_date(value):
    if isinstance(value, datetime.datetime):
        return value.date()
    if isinstance(value, datetime.date):
        return value
    if isinstance(value, str):
        try:
            return datetime.date.fromisoformat(value.strip()[:10])
        except ValueError:
            return None
    return None


@builtin("date", {"text": ANY}, DATE, "The text read as a YYYY-MM-DD date, or null.")
def to_date(text):
    return as_date(text)


@builtin("days_between", {"start": DATE, "end": DATE}, NUMBER, "Whole days from `start` to `end`, or null.")
def days_between(start, end):
    a, b = as_date(start), as_date(end)
    return None if a is None or b is None else (b - a).days
