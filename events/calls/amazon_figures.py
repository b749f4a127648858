#!/usr/bin/env python3
"""The `ConversationCharacteristics` of the sample Contact Lens / Call Analytics files, derived
from their turns by Amazon's published definitions, independently of callscope's engine.

The samples were written by hand, not by Amazon, so their figures must come from somewhere
other than the code they test. This script is that somewhere:

  check FILE...      exit 1 when a file's figures differ from what its turns give (make lint)
  write FILE...      rewrite the figures from the turns
  add-items FILE...  give every turn without word Items a word per token, laid across its span

Definitions (checked against AWS's published Contact Lens example output, see docs/analysis.md):
  TalkTime     per participant: the summed durations of its words (pronunciation Items) when
               every turn that says something has them, else the summed turn spans (Amazon
               measures words it does not publish, so spans match it only for fluent turns, as
               in AWS's example and contact_lens.json; write word Items for any other call).
  TalkSpeed    per participant: its words per minute of its TalkTime, rounded.
  NonTalkTime  the stretches of at least 3 s in which nobody's words (or turns) run, from the
               call's start to its end.
  Interruptions are authored, not derived: the scenario's author marks a cut-off in
               `InterruptionsByInterrupter` as a listener would; only the totals are derived.
  Sentiment    is authored (Amazon's scores are not a published function of the turns).
Files without `ConversationCharacteristics` (directly or under `transcribe`) are skipped.
"""

import json
import re
import sys

SILENCE_MILLIS = 3000
# add-items: a word lasts BASE + PER_LETTER per letter; a pause follows it by its punctuation.
# All of a turn's words and pauses are then scaled to fill its span exactly.
BASE_SECONDS, PER_LETTER_SECONDS = 0.10, 0.055
PAUSE_AFTER = {".": 0.45, "?": 0.45, "!": 0.45, ",": 0.20, ";": 0.25, ":": 0.25}
WORD_GAP_SECONDS = 0.03


def analytics(document):
    """The Call Analytics / Contact Lens object inside a file, or None."""
    if "ConversationCharacteristics" in document:
        return document
    inner = document.get("transcribe")
    if isinstance(inner, dict) and "ConversationCharacteristics" in inner:
        return inner
    return None


def roles(output):
    by_id = {p["ParticipantId"]: p["ParticipantRole"] for p in output.get("Participants", []) if "ParticipantId" in p}
    for turn in output["Transcript"]:
        yield turn.get("ParticipantRole") or by_id[turn["ParticipantId"]]


def tokens(content):
    """Whitespace tokens that say something (a lone dash or ellipsis is not a word)."""
    return [t for t in content.split() if re.search(r"\w", t)]


def words(turn):
    return [i for i in turn.get("Items") or [] if i.get("Type", "pronunciation") == "pronunciation" and "BeginOffsetMillis" in i]


def speech(output):
    """(role, [(begin, end)...], word count) per turn, from words when every turn has them."""
    turns = list(zip(roles(output), output["Transcript"]))
    from_words = all(words(t) or not tokens(t["Content"]) for _, t in turns)
    for role, turn in turns:
        if from_words:
            items = words(turn)
            yield role, [(i["BeginOffsetMillis"], i["EndOffsetMillis"]) for i in items], len(items)
        else:
            yield role, [(turn["BeginOffsetMillis"], turn["EndOffsetMillis"])], len(tokens(turn["Content"]))


def figures(output, old):
    talk, count, intervals = {}, {}, []
    for role, spans, n in speech(output):
        talk[role] = talk.get(role, 0) + sum(end - begin for begin, end in spans)
        count[role] = count.get(role, 0) + n
        intervals.extend(spans)
    duration = max([old.get("TotalConversationDurationMillis", 0)] + [end for _, end in intervals])
    silences, clock = [], 0
    for begin, end in sorted(intervals) + [(duration, duration)]:
        if begin - clock >= SILENCE_MILLIS:
            silences.append({"BeginOffsetMillis": clock, "EndOffsetMillis": begin, "DurationMillis": begin - clock})
        clock = max(clock, end)
    by_interrupter = old.get("Interruptions", {}).get("InterruptionsByInterrupter", {})
    for cuts in by_interrupter.values():
        for cut in cuts:
            cut["DurationMillis"] = cut["EndOffsetMillis"] - cut["BeginOffsetMillis"]
    cuts = [cut for cuts in by_interrupter.values() for cut in cuts]
    new = dict(old)
    new["TotalConversationDurationMillis"] = duration
    new["TalkTime"] = {
        "TotalTimeMillis": sum(talk.values()),
        "DetailsByParticipant": {role: {"TotalTimeMillis": ms} for role, ms in sorted(talk.items())},
    }
    new["TalkSpeed"] = {
        "DetailsByParticipant": {
            role: {"AverageWordsPerMinute": round(count[role] / (ms / 60000))} for role, ms in sorted(talk.items()) if ms
        }
    }
    new["NonTalkTime"] = {"TotalTimeMillis": sum(s["DurationMillis"] for s in silences), "Instances": silences}
    new["Interruptions"] = {
        "TotalCount": len(cuts),
        "TotalTimeMillis": sum(c["DurationMillis"] for c in cuts),
        "InterruptionsByInterrupter": by_interrupter,
    }
    return new


def add_items(output):
    for turn in output["Transcript"]:
        if turn.get("Items"):
            continue
        words_here = tokens(turn["Content"])
        lengths = [BASE_SECONDS + PER_LETTER_SECONDS * len(re.sub(r"\W", "", w)) for w in words_here]
        pauses = [PAUSE_AFTER.get(w[-1], WORD_GAP_SECONDS) for w in words_here[:-1]] + [0.0]
        natural = sum(lengths) + sum(pauses)
        scale = (turn["EndOffsetMillis"] - turn["BeginOffsetMillis"]) / 1000 / natural if natural else 0
        clock, items = turn["BeginOffsetMillis"] / 1000, []
        for word, length, pause in zip(words_here, lengths, pauses):
            begin, end = clock, clock + length * scale
            items.append({
                "BeginOffsetMillis": round(begin * 1000),
                "EndOffsetMillis": round(end * 1000),
                "Confidence": 0.99,
                "Content": word.strip(".,?!;:\"()"),
                "Type": "pronunciation",
            })
            if word[-1] in PAUSE_AFTER:
                items.append({"Confidence": 0.0, "Content": word[-1], "Type": "punctuation"})
            clock = end + pause * scale
        items[-1 if items[-1]["Type"] == "pronunciation" else -2]["EndOffsetMillis"] = turn["EndOffsetMillis"]
        turn["Items"] = items


def main(command, paths):
    stale = []
    for path in paths:
        with open(path) as f:
            document = json.load(f)
        output = analytics(document)
        if output is None:
            continue
        if command == "add-items":
            add_items(output)
        derived = figures(output, json.loads(json.dumps(output["ConversationCharacteristics"])))
        if command == "check":
            if derived != output["ConversationCharacteristics"]:
                stale.append(path)
            continue
        output["ConversationCharacteristics"] = derived
        with open(path, "w") as f:
            json.dump(document, f, indent=2, ensure_ascii=False)
            f.write("\n")
    for path in stale:
        print(f"{path}: ConversationCharacteristics differ from what its turns give; run `{sys.argv[0]} write {path}` and review the diff", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    if len(sys.argv) < 3 or sys.argv[1] not in ("check", "write", "add-items"):
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2:]))
