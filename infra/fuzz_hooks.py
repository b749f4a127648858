"""schemathesis hooks for `make fuzz`: the rules between fields that openapi.json states in its
descriptions but JSON Schema cannot (one value against another). They only shape the *positive*
cases (the ones schemathesis asserts must be accepted) into what the document calls valid;
negative cases and every check are untouched, and the server's refusals of these very rules
are held by the unit tests (functions/query/src/tests.rs, shared/core/src/domain/limits.rs).

- `from_date` ≤ `to_date`, `min_sentiment` ≤ `max_sentiment`: swapped when generated the other
  way round (in the query, and in `POST /api/v1/reanalyses`' body).
- the leaderboard (`/api/v1/analytics/agents`) covers at most 366 days (`to_date` at most 365
  days after `from_date`, by UTC date): a wider range has its `from_date` moved up to that.
- `cursor`: "the `next_cursor` of the previous page"; a string made up by the generator is not
  one, so positive cases leave it out.
- timed utterances and Transcribe turns: in order of their start, each ending at or after it,
  word times likewise, and inside `duration_seconds` (+1 s) when that is given.
- `If-Match` on `PUT /api/v1/settings/<section>`: "the version the change was made from"; a
  made-up number is not the current version, so positive cases leave it out.
- `PUT /api/v1/settings/<section>` (each section's request body description states these;
  shared/core/src/settings/tests.rs holds the refusals):
  - trackers: rule names unique; each phrase with a letter or digit; all phrases within the
    matcher's 16 384 bytes (with the built-in rules' when extending); a `between` window from
    <= to;
  - scorecard: a tracker measure takes a `tracker` and no `benchmark`, `next_step_agreed`
    neither, the other measures a `benchmark` (min or max or both, min <= max, within the
    measure's values) and no `tracker`; the weights sum to 100;
  - agents: each `agent_id` and `team_id` once; an agent's `team_id` one of `teams`;
  - alerts: each rule `id` once.
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


def _unique(items, key):
    """The items whose `key` was not seen before (objects only, in order)."""
    seen, kept = set(), []
    for item in items:
        if isinstance(item, dict) and item.get(key) not in seen:
            seen.add(item.get(key))
            kept.append(item)
    return kept


# The built-in tracker rules' phrases take 894 of the matcher's 16 384 bytes; a margin for them.
TENANT_PHRASE_BYTES = 16_384 - 2_048


def _trackers(body):
    rules = body.get("rules")
    if not isinstance(rules, list):
        return
    rules[:] = _unique(rules, "name")
    budget = TENANT_PHRASE_BYTES - len(rules)  # a byte kept back for each rule's fallback "a"
    for rule in rules:
        phrases = rule.get("phrases")
        if isinstance(phrases, list):
            kept = []
            for p in phrases:
                if isinstance(p, str) and not any(c.isascii() and c.isalnum() for c in p):
                    p = "a" + p[:99]
                size = len(p.encode()) if isinstance(p, str) else 0
                if size <= budget:
                    kept.append(p)
                    budget -= size
            rule["phrases"] = kept or ["a"]
        window = rule.get("window")
        between = window.get("between") if isinstance(window, dict) else None
        if isinstance(between, dict):
            _ordered(between, "from_seconds", "to_seconds", _float)


MEASURE_RANGES = {"agent_talk_ratio": (0.0, 1.0), "customer_sentiment": (-1.0, 1.0), "overall_sentiment": (-1.0, 1.0)}
YES_NO = {"next_step_agreed", "tracker_present", "tracker_absent"}


def _scorecard(body):
    criteria = body.get("criteria")
    if not isinstance(criteria, list) or not criteria:
        return
    for c in criteria:
        measure = c.get("measure")
        if measure in ("tracker_present", "tracker_absent"):
            c.pop("benchmark", None)
            if not c.get("tracker"):
                c["tracker"] = "pricing"
        else:
            c.pop("tracker", None)
            if measure in YES_NO:
                c.pop("benchmark", None)
            else:
                low, high = MEASURE_RANGES.get(measure, (0.0, float("inf")))
                band = c.get("benchmark") if isinstance(c.get("benchmark"), dict) else {}
                bounds = {k: min(max(v, low), high) for k, v in band.items() if isinstance(v, (int, float))}
                if not bounds:
                    bounds = {"min": low}
                _ordered(bounds, "min", "max", _float)
                c["benchmark"] = bounds
    share = 100 / len(criteria)
    for c in criteria[:-1]:
        c["weight"] = share
    criteria[-1]["weight"] = 100 - sum(c["weight"] for c in criteria[:-1])


def _agents(body):
    teams = body.get("teams")
    if isinstance(teams, list):
        teams[:] = _unique(teams, "team_id")
    listed = {t.get("team_id") for t in teams or []}
    agents = body.get("agents")
    if isinstance(agents, list):
        agents[:] = _unique(agents, "agent_id")
        for agent in agents:
            if agent.get("team_id") not in listed:
                agent.pop("team_id", None)


def _alerts(body):
    if isinstance(body.get("rules"), list):
        body["rules"] = _unique(body["rules"], "id")


SETTINGS = {"trackers": _trackers, "scorecard": _scorecard, "agents": _agents, "alerts": _alerts}


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
    section = case.path.removeprefix("/api/v1/settings/")
    if case.method.upper() == "PUT" and case.path.startswith("/api/v1/settings/"):
        # `If-Match`: "the version the change was made from"; a number made up by the generator
        # is not the current one (412 is the right answer to it), so positive cases leave it out.
        headers = case.headers  # a dict or a case-insensitive mapping
        if headers is not None:
            for name in [h for h in list(headers) if h.lower() == "if-match"]:
                del headers[name]
        if section in SETTINGS and isinstance(body, dict):
            SETTINGS[section](body)
        return case
    if case.path == "/api/v1/reanalyses" and isinstance(body, dict):
        _ordered(body, "from_date", "to_date", _instant)
        return case
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
