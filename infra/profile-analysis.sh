#!/usr/bin/env bash
# Instructions per stage of one analysis of the generated 30-minute call, counted by callgrind
# (repeatable on a busy machine, unlike wall time): the example `profile_stages` is run once and
# 21 times, and the difference divided by 20, so one-time set-up (lexicons, compiled regexes,
# lazy DFA states) is left out. Stages the compiler inlined into their caller show as 0.
set -euo pipefail
cargo build -q --profile bench -p callscope-core --example profile_stages
target="${CARGO_TARGET_DIR:-target}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for runs in 1 21; do
  CALLSCOPE_PROFILE_RUNS=$runs valgrind -q --tool=callgrind --callgrind-out-file="$out/$runs.out" \
    "$target/release/examples/profile_stages"
done
inclusive() {
  callgrind_annotate --inclusive=yes --threshold=100 "$1" 2>/dev/null | grep -F "$2 [" | head -1 |
    awk '{gsub(",", "", $1); print $1}'
}
printf '%-12s %12s\n' stage instructions
for stage in \
  "redaction:profile_stages::stage_redact" \
  "timeline:callscope_core::analysis::timeline::Timeline::build" \
  "conversation:callscope_core::analysis::conversation::measure" \
  "text:callscope_core::analysis::text::measure" \
  "sentiment:callscope_core::analysis::sentiment::SentimentScorer::summarize" \
  "trackers:callscope_core::analysis::trackers::TrackerSet::find" \
  "next_steps:callscope_core::analysis::next_steps::find" \
  "scoring:callscope_core::analysis::scoring::assess" \
  "analysis:profile_stages::stage_analyze" \
  "json:profile_stages::stage_json"; do
  name="${stage%%:*}"
  function="${stage#*:}"
  one="$(inclusive "$out/1.out" "$function")"
  many="$(inclusive "$out/21.out" "$function")"
  printf '%-12s %12d\n' "$name" $(((${many:-0} - ${one:-0}) / 20))
done
