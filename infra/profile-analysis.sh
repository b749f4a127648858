#!/usr/bin/env bash
# Instructions per stage of one analysis of the generated 30-minute call, counted by callgrind
# (repeatable on a busy machine, unlike wall time): the example `profile_stages` is run once and
# 21 times, and the difference divided by 20, so one-time set-up (lexicons, compiled regexes,
# lazy DFA states) is left out. A stage the compiler inlined into the analysis says "inlined"
# (its instructions count in the analysis' total).
set -euo pipefail
cargo build -q --profile bench -p callscope-core --example profile_stages
target="${CARGO_TARGET_DIR:-target}"
out="$(mktemp -d)"
trap 'rm -rf "$out"' EXIT
for runs in 1 21; do
  CALLSCOPE_PROFILE_RUNS=$runs valgrind -q --tool=callgrind --callgrind-out-file="$out/$runs.out" \
    "$target/release/examples/profile_stages"
done
# The function's own inclusive count: the largest of the lines that name it (callgrind also lists
# the parts of it inlined from other files).
inclusive() {
  (cd "$out" && callgrind_annotate --inclusive=yes --auto=no --threshold=100 "$1" 2>/dev/null) |
    awk -v f=":$2 [" 'index($0, f) { gsub(",", "", $1); if ($1 + 0 > max) max = $1 + 0 } END { if (max) print max }'
}
printf '%-12s %12s\n' stage instructions
for stage in \
  "redaction:profile_stages::stage_redact" \
  "timeline:callscope_core::analysis::timeline::Timeline::build" \
  "tokens:callscope_core::analysis::tokens::push_ascii_tokens" \
  "conversation:callscope_core::analysis::conversation::measure" \
  "text:callscope_core::analysis::text::measure" \
  "sentiment:callscope_core::analysis::sentiment::SentimentScorer::summarize" \
  "trackers:callscope_core::analysis::trackers::TrackerSet::find" \
  "next_steps:callscope_core::analysis::next_steps::find" \
  "scoring:callscope_core::analysis::scoring::assess" \
  "analysis:profile_stages::stage_analyse" \
  "json:profile_stages::stage_json"; do
  name="${stage%%:*}"
  function="${stage#*:}"
  one="$(inclusive "$out/1.out" "$function")"
  many="$(inclusive "$out/21.out" "$function")"
  if [ -z "$many" ]; then
    printf '%-12s %12s\n' "$name" inlined
  else
    printf '%-12s %12d\n' "$name" $(((many - ${one:-0}) / 20))
  fi
done
