// The call on one time axis: a lane per speaker with each turn where it was said, and a lane per
// kind of interval (monologues, interruptions, crosstalk, silences), from `analysis.turns` and
// `analysis.intervals`. Plain SVG: bars on a line are not what a chart library is for.
import * as f from '../format.js';

const KINDS = [
  ['monologue', 'Monologues'],
  ['interruption', 'Interruptions'],
  ['crosstalk', 'Crosstalk'],
  ['silence', 'Silences'],
];
const WIDTH = 1000;

function Lane({ label, spans, duration, kind }) {
  return (
    <div class="lane">
      <span class="lane-label">{label}</span>
      <svg viewBox={`0 0 ${WIDTH} 10`} preserveAspectRatio="none" role="img" aria-label={`${label}: ${spans.length}`}>
        {spans.map((s) => (
          <rect
            class={`${kind} ${s.speaker || ''}`}
            x={(s.start_seconds / duration) * WIDTH}
            width={Math.max(((s.end_seconds - s.start_seconds) / duration) * WIDTH, 1)}
            y="0"
            height="10"
          >
            <title>
              {s.speaker ? `${s.speaker} ` : ''}
              {f.clock(s.start_seconds)}–{f.clock(s.end_seconds)}
            </title>
          </rect>
        ))}
      </svg>
    </div>
  );
}

export function Timeline({ a }) {
  const turns = a.turns || [];
  const intervals = a.intervals || [];
  if (turns.length === 0) {
    return <p class="state">This call was analysed before timelines existed; analyse it again to see one.</p>;
  }
  const duration = Math.max(a.duration_seconds, ...turns.map((t) => t.end_seconds), 1);
  const speakers = ['agent', 'customer', 'other'].filter((r) => turns.some((t) => t.speaker === r));
  return (
    <figure class="timeline" aria-labelledby="timeline-title">
      <figcaption id="timeline-title">
        Who talked when{a.timing === 'estimated' ? ' (times estimated from words: the transcript has none)' : ''}
      </figcaption>
      {speakers.map((r) => (
        <Lane label={f.label(r)} spans={turns.filter((t) => t.speaker === r)} duration={duration} kind="turn-bar" />
      ))}
      {KINDS.map(([kind, label]) => (
        <Lane label={label} spans={intervals.filter((i) => i.kind === kind)} duration={duration} kind={`interval ${kind}`} />
      ))}
      <p class="axis muted">
        <span>0:00</span>
        <span>{f.clock(duration)}</span>
      </p>
      <details>
        <summary>The numbers</summary>
        <table class="data compact">
          <thead>
            <tr>
              <th scope="col">What</th>
              <th scope="col">Who</th>
              <th scope="col">From</th>
              <th scope="col">To</th>
            </tr>
          </thead>
          <tbody>
            {intervals.map((i) => (
              <tr>
                <td>{f.label(i.kind)}</td>
                <td>{i.speaker || '—'}</td>
                <td>{f.clock(i.start_seconds)}</td>
                <td>{f.clock(i.end_seconds)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}
