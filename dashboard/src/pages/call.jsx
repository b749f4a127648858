// One call: who/when/outcome/score, the figures, the transcript with trackers and next steps
// marked where they were said, sentiment across the call, similar calls and coaching nudges.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import * as f from '../format.js';
import { Chart, ConfirmDialog, Empty, Figures, Loaded, href, useLoad } from '../ui.jsx';
import { Timeline } from './timeline.jsx';

/** The stored transcript's `Role: text` lines as turns. */
/** What redaction replaced, by type (`by_type`), or the three v1 counts of older analyses. */
function redacted(r) {
  const byType = r.by_type && Object.keys(r.by_type).length > 0 ? r.by_type : {
    email: r.emails, phone: r.phone_numbers, credit_debit_number: r.card_numbers,
  };
  const parts = Object.entries(byType).filter(([, n]) => n).map(([type, n]) => `${n} × ${type.replace(/_/g, ' ')}`);
  return parts.join(', ') || 'nothing';
}

export const turnsOf = (transcript) =>
  transcript
    .split('\n')
    .filter((l) => l.trim())
    .map((line) => {
      const m = /^([A-Za-z][\w ]{0,20}):\s?(.*)$/.exec(line);
      return m ? { role: m[1], text: m[2] } : { role: '', text: line };
    });

/** Where each turn has something to mark: [{from, to, kind, label, at}], sorted, not overlapping. */
function marksOf(analysis, count) {
  const marks = Array.from({ length: count }, () => []);
  if (!analysis) return marks;
  for (const t of analysis.trackers) {
    for (const m of t.mentions) marks[m.utterance_index]?.push({ phrase: m.phrase, kind: 'tracker', label: `${f.label(t.tracker)} (${t.category})`, at: m.at_seconds });
  }
  for (const s of analysis.next_steps) marks[s.utterance_index]?.push({ phrase: s.text, kind: 'next-step', label: `next step${s.due ? `, due ${s.due}` : ''}`, at: s.at_seconds });
  return marks;
}

function Turn({ turn, marks, index, timed }) {
  const lower = turn.text.toLowerCase();
  const spans = [];
  for (const m of marks) {
    const from = lower.indexOf(m.phrase.toLowerCase());
    if (from < 0 || spans.some((s) => from < s.to && from + m.phrase.length > s.from)) continue;
    spans.push({ ...m, from, to: from + m.phrase.length });
  }
  spans.sort((a, b) => a.from - b.from);
  const parts = [];
  let at = 0;
  for (const s of spans) {
    parts.push(turn.text.slice(at, s.from));
    parts.push(
      <mark class={s.kind} title={`${s.label} at ${f.clock(s.at)}`}>
        {turn.text.slice(s.from, s.to)}
        <span class="sr-only"> ({s.label} at {f.clock(s.at)})</span>
      </mark>,
    );
    at = s.to;
  }
  parts.push(turn.text.slice(at));
  const first = marks.length ? Math.min(...marks.map((m) => m.at)) : null;
  const unplaced = marks.filter((m) => !spans.some((s) => s.phrase === m.phrase));
  return (
    <li class={`turn ${turn.role.toLowerCase()}`} data-index={index}>
      <span class="who">
        {turn.role}
        {timed && <time class="at turn-time"> {f.clock(timed.start_seconds)}</time>}
        {first !== null && !timed && <time class="at"> {f.clock(first)}</time>}
      </span>
      <p>{parts}</p>
      {unplaced.map((m) => (
        <span class={`tag ${m.kind}`}>{m.label}</span>
      ))}
    </li>
  );
}

function Figures2({ a }) {
  const rows = [
    ['Timing', a.timing + (a.timing_source ? ` (from ${a.timing_source})` : '')],
    ['Talk time, agent / customer', `${f.seconds(a.talk_time_seconds.agent)} / ${f.seconds(a.talk_time_seconds.customer)}`],
    ['Talk speed, agent / customer (wpm)', `${f.num(a.talk_speed_wpm.agent, 0)} / ${f.num(a.talk_speed_wpm.customer, 0)}`],
    ['Silence (gaps of 3 s or more)', f.seconds(a.non_talk_time_seconds)],
    ['Interruptions by agent / customer', `${a.interruptions.agent} / ${a.interruptions.customer}`],
    ['Crosstalk', f.seconds(a.crosstalk_seconds)],
    ['Longest agent monologue', f.seconds(a.longest_monologue_seconds)],
    ['Longest customer story', f.seconds(a.longest_customer_story_seconds)],
    ['Speaker switches per minute', f.num(a.interactivity)],
    ['Pause before the agent answers', a.patience_seconds === null ? '—' : `${f.num(a.patience_seconds)} s`],
    ['Questions, agent / customer', `${a.questions.agent} / ${a.questions.customer}`],
    ['Filler words per minute', f.num(a.filler_words_per_minute)],
    ['Sentiment, agent / customer', `${f.sentiment(a.sentiment.agent)} / ${f.sentiment(a.sentiment.customer)}`],
    ['Redacted', redacted(a.redactions)],
  ];
  return (
    <table class="data compact">
      <caption>How the call went</caption>
      <tbody>
        {rows.map(([k, v]) => (
          <tr>
            <th scope="row">{k}</th>
            <td>{v}</td>
          </tr>
        ))}
      </tbody>
    </table>
  );
}

/**
 * Queues the call's analysis again with the tenant's current settings (after a scorecard or
 * tracker change), then reads the call until it was processed again and shows the new analysis.
 */
function Reanalyse({ call, done, onDone }) {
  const [state, setState] = useState({});
  // Left (another call, another page): the reading stops and reports nothing.
  const live = useRef(true);
  useEffect(() => () => (live.current = false), []);
  const show = (next) => live.current && setState(next);
  const start = async () => {
    setState({ busy: true });
    try {
      const queued = await api.reanalyse(call.call_id);
      show({ busy: true, note: `Queued as revision ${queued.revision}; the page shows it once it is analysed.` });
      // Re-analyses wait behind new calls (docs/api.md#re-analyse-calls): read for two minutes.
      for (const started = Date.now(); live.current && Date.now() - started < 120000; ) {
        await new Promise((r) => setTimeout(r, 1500));
        const now = await api.call(call.call_id);
        if (now.updated_at !== call.updated_at) return live.current && onDone(queued.revision);
      }
      show({ note: `Revision ${queued.revision} is still queued; reload the page later to see it.` });
    } catch (e) {
      show({ error: e.message });
    }
  };
  const version = call.analysis?.settings_version;
  return (
    <p class="muted reanalyse">
      Scored with {version ? `settings version ${version}` : 'the built-in trackers and scorecard'}.{' '}
      <button type="button" data-testid="reanalyse" onClick={start} disabled={state.busy}>
        {state.busy ? 'Re-analysing…' : 'Re-analyse with the current settings'}
      </button>{' '}
      {state.note && <span role="status">{state.note}</span>}
      {done && !state.note && (
        <span role="status" data-testid="reanalysed">
          Re-analysed (revision {done}).
        </span>
      )}
      {state.error && (
        <span class="error" role="alert" data-testid="reanalyse-error">
          Not re-analysed: {state.error}
        </span>
      )}
    </p>
  );
}

/** Erases the call after a confirmation dialog; back to the list once the API answered 204. */
function DeleteCall({ callId }) {
  const dialog = useRef(null);
  const [state, setState] = useState({ busy: false, error: null });
  const confirm = async () => {
    setState({ busy: true, error: null });
    try {
      await api.erase(callId);
      dialog.current?.close();
      window.location.hash = `#/calls?erased=${encodeURIComponent(callId)}`;
    } catch (e) {
      setState({ busy: false, error: e.message });
    }
  };
  return (
    <>
      <button type="button" class="danger" data-testid="delete-call" onClick={() => dialog.current?.showModal()}>
        Delete call…
      </button>
      <ConfirmDialog
        dialogRef={dialog}
        testid="delete"
        title={`Delete call ${callId}?`}
        action="Delete"
        busyAction="Deleting…"
        busy={state.busy}
        onConfirm={confirm}
      >
        <p>
          Its transcript, analysis and listing are erased everywhere, and it is taken out of every total and leaderboard. This
          cannot be undone.
        </p>
        {state.error && (
          <p class="state error" role="alert">
            Not deleted: {state.error}
          </p>
        )}
      </ConfirmDialog>
    </>
  );
}

export function Call({ callId }) {
  const [tick, setTick] = useState(0);
  const [reanalysed, setReanalysed] = useState(null);
  useEffect(() => setReanalysed(null), [callId]);
  const state = useLoad(() => api.call(callId), [callId, tick]);
  const recs = useLoad(() => api.recommendations(callId), [callId, state.data?.status, state.data?.updated_at]);
  const waiting = state.data && state.data.status === 'RECEIVED';
  useEffect(() => {
    if (!waiting) return undefined;
    const t = setTimeout(() => setTick((n) => n + 1), 2000);
    return () => clearTimeout(t);
  }, [waiting, tick]);
  return (
    <>
      <p class="crumbs">
        <a href="#/calls">Calls</a> › {callId}
      </p>
      <Loaded state={state} what={`call ${callId}`}>
        {(c) => {
          const a = c.analysis;
          const turns = turnsOf(c.transcript);
          const marks = marksOf(a, turns.length);
          // Times per line when the analysis has a turn for each (analyses before turns do not).
          const timed = a?.turns?.length === turns.length ? a.turns : null;
          const bySpeaker = (r) => (a?.turns || []).map((t) => (t.speaker === r ? t.sentiment : null));
          return (
            <>
              <h1>
                Call {c.call_id} <span class={`status ${c.status.toLowerCase()}`}>{c.status.toLowerCase()}</span>
              </h1>
              <p class="lead">
                <a href={href(`agents/${c.agent_id}`)}>{c.agent_id}</a>
                {c.team_id ? ` (team ${c.team_id})` : ''} with customer {c.customer_id}, {f.when(c.start_time)}, {f.seconds(c.duration_seconds)}, outcome {f.label(c.outcome)}.
              </p>
              {c.status === 'RECEIVED' && <p class="state" role="status">Waiting to be analysed; this page refreshes until it is.</p>}
              {c.status === 'PROCESSED' && (
                <Reanalyse
                  call={c}
                  done={reanalysed}
                  onDone={(revision) => {
                    setReanalysed(revision);
                    setTick((n) => n + 1);
                  }}
                />
              )}
              {c.status === 'FAILED' && (
                <p class="state error" role="alert" data-testid="call-failed">
                  {/* A recording whose transcription failed has no transcript to analyse. */}
                  {turns.length ? 'The analysis failed' : 'No transcript was made'}: {c.failure_reason || 'no reason was recorded'}.
                </p>
              )}
              {a && (
                <>
                  <Figures
                    items={[
                      ['Score', c.score, c.score ?? '—', 'call-score'],
                      ['Customer sentiment', c.customer_sentiment_score, f.sentiment(c.customer_sentiment_score), 'call-sentiment'],
                      ['Agent talk ratio', c.agent_talk_ratio, f.percent(c.agent_talk_ratio), 'call-talk-ratio'],
                      ['Questions by the agent', a.questions.agent, a.questions.agent, 'call-questions'],
                    ]}
                  />
                  <div class="grid">
                    <div class="scroll">
                      <Figures2 a={a} />
                    </div>
                    <Chart
                      title={a.sentiment.quarters_by_role ? 'Sentiment per quarter of the call, per speaker' : 'Sentiment per quarter of the call (all speakers)'}
                      x={[1, 2, 3, 4]}
                      xLabel="Quarter"
                      xFormat={(q) => `Q${q}`}
                      series={a.sentiment.quarters_by_role ? [
                        { label: 'Agent', values: a.sentiment.quarters_by_role.agent },
                        { label: 'Customer', values: a.sentiment.quarters_by_role.customer },
                      ] : [{ label: 'Sentiment', values: a.sentiment.quarters }]}
                      bars
                      format={f.sentiment}
                    />
                    {a.turns?.length > 0 && (
                      <Chart
                        title="Sentiment per turn"
                        x={a.turns.map((_, i) => i + 1)}
                        xLabel="Turn"
                        series={[
                          { label: 'Agent', values: bySpeaker('agent') },
                          { label: 'Customer', values: bySpeaker('customer') },
                        ]}
                        bars
                        format={f.sentiment}
                      />
                    )}
                  </div>
                  <Timeline a={a} />
                </>
              )}
              <div class="columns">
                <section aria-labelledby="transcript">
                  <h2 id="transcript">Transcript</h2>
                  {turns.length === 0 ? (
                    <Empty>{c.expired ? 'Removed under the retention of this tenant.' : 'This call has no transcript.'}</Empty>
                  ) : (
                    <>
                      <p class="muted">
                        Redacted. <mark class="tracker">Trackers</mark> and <mark class="next-step">next steps</mark> are marked where they were said.
                      </p>
                      <ol class="transcript">
                        {turns.map((t, i) => (
                          <Turn turn={t} marks={marks[i]} index={i} timed={timed?.[i]} />
                        ))}
                      </ol>
                    </>
                  )}
                </section>
                <aside aria-label="Recommendations">
                  <Loaded state={recs} what="the recommendations">
                    {(r) => (
                      <>
                        <section aria-labelledby="nudges">
                          <h2 id="nudges">Coaching</h2>
                          {r.coaching_nudges.length === 0 ? (
                            <Empty>No benchmark missed.</Empty>
                          ) : (
                            <ul class="nudges">
                              {r.coaching_nudges.map((n) => (
                                <li class={`priority-${n.priority}`}>
                                  <strong>{n.title}</strong> <span class="tag">{n.priority}</span>
                                  <p>{n.suggestion}</p>
                                </li>
                              ))}
                            </ul>
                          )}
                        </section>
                        <section aria-labelledby="similar">
                          <h2 id="similar">Similar calls</h2>
                          {r.similar_calls.length === 0 ? (
                            <Empty>No similar call of this agent or team yet.</Empty>
                          ) : (
                            <ul class="similar">
                              {r.similar_calls.map((s) => (
                                <li>
                                  <a href={href(`calls/${s.call_id}`)}>{s.call_id}</a> ({s.agent_id}, {f.percent(s.similarity_score)} alike)
                                  <p class="muted">{s.transcript_preview}</p>
                                </li>
                              ))}
                            </ul>
                          )}
                        </section>
                      </>
                    )}
                  </Loaded>
                </aside>
              </div>
              <section aria-labelledby="erase" class="erase">
                <h2 id="erase">Erase this call</h2>
                <p class="muted">For a data subject's request, or a call recorded by mistake: it goes from every table, total and export.</p>
                <DeleteCall callId={c.call_id} />
              </section>
            </>
          );
        }}
      </Loaded>
    </>
  );
}
