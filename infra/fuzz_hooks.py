"""schemathesis hooks for `make fuzz`: the rules between fields that openapi.json states in its
descriptions but JSON Schema cannot (one value against another). They only shape the *positive*
cases (the ones schemathesis asserts must be accepted) into what the document calls valid;
negative cases and every check are untouched, and the server's refusals of these very rules
are held by the unit tests (functions/query/src/tests.rs, shared/core/src/domain/limits.rs).

- `from_date` ≤ `to_date`, `min_sentiment` ≤ `max_sentiment`: swapped when generated the other
  way round.
- the leaderboard (`/api/v1/analytics/agents`) covers at most 366 days (`to_date` at most 365
  days after `from_date`, by UTC date): a wider range has its `from_date` moved up to that.
- `cursor`: "the `next_cursor` of the previous page"; a string made up by the generator is not
  one, so positive cases leave it out.
- timed utterances and Transcribe turns: in order of their start, each ending at or after it,
  word times likewise, and inside `duration_seconds` (+1 s) when that is given.
"""

from datetime import datetime, timedelta, timezone

import schemathesis
from schemathesis.generation import GenerationMode


def _positive(case):
    meta = case.meta
    return meta is not None and meta.generation.mode == GenerationMode.POSITIVE


def _instant(text):
    try:
        value = datetime.fromisoformat(str(text).replace("Z", "+00:00").replace("z", "+00:00"))
    except ValueError:
        return None
    return value if value.tzinfo else value.replace(tzinfo=timezone.utc)


def _ordered(query, low, high, key):
    if low in query and high in query:
        a, b = key(query[low]), key(query[high])
        if a is not None and b is not None and a > b:
            query[low], query[high] = query[high], query[low]


LEADERBOARD_DAYS = 366


def _within_days(query, low, high, days):
    """Moves `low` up so that the UTC dates from `low` to `high` are at most `days` days."""
    if low in query and high in query:
        a, b = _instant(query[low]), _instant(query[high])
        if a is None or b is None:
            return
        first, last = a.astimezone(timezone.utc).date(), b.astimezone(timezone.utc).date()
        if (last - first).days > days - 1:
            query[low] = (last - timedelta(days=days - 1)).isoformat()


def _float(value):
    try:
        return float(value)
    except (TypeError, ValueError):
        return None


def _order_times(items, start, end):
    """Sorts timed items by start, each ending at or after it; returns the last end."""
    timed = [i for i in items if isinstance(i, dict) and isinstance(i.get(start), (int, float)) and isinstance(i.get(end), (int, float))]
    for item in timed:
        if item[end] < item[start]:
            item[start], item[end] = item[end], item[start]
        pairs = item.get("word_times")
        if isinstance(pairs, list) and all(isinstance(p, list) and len(p) == 2 for p in pairs):
            item["word_times"] = sorted(sorted(p) for p in pairs)
    if len(timed) == len(items):
        items.sort(key=lambda i: i[start])
    return max((i[end] for i in timed), default=None)


@schemathesis.hook
def map_case(ctx, case):
    if not _positive(case):
        return case
    query = case.query
    if isinstance(query, dict):
        _ordered(query, "from_date", "to_date", _instant)
        _ordered(query, "min_sentiment", "max_sentiment", _float)
        if case.path == "/api/v1/analytics/agents":
            _within_days(query, "from_date", "to_date", LEADERBOARD_DAYS)
        query.pop("cursor", None)
    body = case.body
    if isinstance(body, dict):
        last_end = None
        if isinstance(body.get("utterances"), list):
            last_end = _order_times(body["utterances"], "start", "end")
        transcribe = body.get("transcribe")
        if isinstance(transcribe, dict) and isinstance(transcribe.get("Transcript"), list):
            last = _order_times(transcribe["Transcript"], "BeginOffsetMillis", "EndOffsetMillis")
            last_end = None if last is None else last / 1000
        duration = body.get("duration_seconds")
        if last_end is not None and isinstance(duration, (int, float)) and 0 < duration < last_end - 1:
            body["duration_seconds"] = min(86400, last_end)
    return case
