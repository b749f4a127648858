// Settings: the tenant's tracker rules, scorecard, agent and team names and alert rules, edited as forms
// and saved with PUT /api/v1/settings/{section} and the version read (If-Match), so a change
// made elsewhere meanwhile is refused (412) instead of overwritten. The API's own refusal
// (422 naming the field) is shown as it says it. At its foot, re-analysing a range of calls and
// erasing every call of a customer, both run by the API in the background.
import { useEffect, useRef, useState } from 'preact/hooks';
import { api } from '../api.js';
import { ConfirmDialog, Loaded, useLoad } from '../ui.jsx';

const CATEGORIES = ['custom', 'pricing', 'competitor', 'objection', 'next_step', 'compliance'];
// [what the API takes, what a coach reads]
const MEASURES = [
  ['agent_talk_ratio', "Agent's share of talk"],
  ['questions_agent', 'Questions the agent asks'],
  ['questions_customer', 'Questions the customer asks'],
  ['longest_monologue_seconds', "Agent's longest monologue (s)"],
  ['longest_customer_story_seconds', "Customer's longest story (s)"],
  ['interactivity', 'Interactivity (switches a minute)'],
  ['patience_seconds', 'Pause before the agent answers (s)'],
  ['filler_words_per_minute', 'Filler words a minute'],
  ['customer_sentiment', 'Customer sentiment'],
  ['overall_sentiment', 'Overall sentiment'],
  ['next_step_agreed', 'Next step agreed (yes/no)'],
  ['tracker_present', 'Tracker mentioned (yes/no)'],
  ['tracker_absent', 'Tracker not mentioned (yes/no)'],
];
const YES_NO = ['next_step_agreed', 'tracker_present', 'tracker_absent'];
// Each alert condition's one field (docs/alerts.md#alert-rules); the form holds it as `value`.
const ALERT_FIELDS = {
  score_below: 'score', tracker_hit: 'tracker', category_hit: 'category',
  closing_sentiment_below: 'sentiment', interruptions_at_least: 'count', outcome_is: 'outcome',
};
const NUMERIC_ALERT_FIELDS = ['score', 'sentiment', 'count'];
// [what the API takes, what a coach reads]
const ALERT_KINDS = [
  ['score_below', 'Score below'],
  ['tracker_hit', 'Tracker mentioned'],
  ['category_hit', 'Tracker category mentioned'],
  ['closing_sentiment_below', 'Customer sentiment at the end below'],
  ['interruptions_at_least', 'Interruptions at least'],
  ['outcome_is', 'Outcome is'],
];

const number = (s) => (s === '' || s === undefined || s === null ? undefined : Number(s));
const phrasesOf = (text) => text.split(',').map((p) => p.trim()).filter(Boolean);

/** A criterion as the form holds it → as the API takes it. */
export function criterionBody(c) {
  const body = { measure: c.measure, weight: Number(c.weight) };
  if (YES_NO.includes(c.measure)) {
    if (c.measure !== 'next_step_agreed') body.tracker = c.tracker;
  } else {
    const band = {};
    if (number(c.min) !== undefined) band.min = number(c.min);
    if (number(c.max) !== undefined) band.max = number(c.max);
    body.benchmark = band;
  }
  return body;
}

/** An alert rule as the form holds it → as the API takes it. */
export function alertRuleBody(r) {
  const field = ALERT_FIELDS[r.kind];
  const value = NUMERIC_ALERT_FIELDS.includes(field) ? number(r.value) : r.value;
  const condition = { kind: r.kind, [field]: value };
  if (r.kind === 'interruptions_at_least') condition.by = r.by;
  return { id: r.id, name: r.name, enabled: r.enabled !== 'no', condition };
}

/** An alert rule as the API answers it → as the form holds it. */
const alertRuleRow = (r) => ({
  id: r.id, name: r.name, enabled: r.enabled === false ? 'no' : 'yes', kind: r.condition.kind,
  value: String(r.condition[ALERT_FIELDS[r.condition.kind]] ?? ''), by: r.condition.by || 'agent',
});

function Saver({ label, section, version, body, onSaved }) {
  const [state, setState] = useState({});
  const save = async () => {
    setState({ busy: true });
    try {
      const reply = await api.putSettings(section, body(), version);
      setState({ ok: `Saved as version ${reply.version}. New calls use it within a minute.` });
      onSaved(reply.version);
    } catch (e) {
      const msg = e.status === 412 ? `${e.message}. Reload the page to see the other change.` : e.message;
      setState({ error: msg });
    }
  };
  return (
    <p class="save">
      <button type="button" onClick={save} disabled={state.busy} data-testid={`save-${section}`}>
        {label}
      </button>{' '}
      {state.ok && <span role="status" data-testid={`saved-${section}`}>{state.ok}</span>}
      {state.error && (
        <span class="error" role="alert" data-testid={`error-${section}`}>
          {state.error}
        </span>
      )}
    </p>
  );
}

function Rows({ rows, setRows, fields, empty, testid }) {
  const set = (i, k, v) => setRows(rows.map((r, j) => (j === i ? { ...r, [k]: v } : r)));
  return (
    <table class="data" data-testid={testid}>
      <thead>
        <tr>
          {fields.map((f) => <th scope="col">{f.label}</th>)}
          <th scope="col"><span class="visually-hidden">Remove</span></th>
        </tr>
      </thead>
      <tbody>
        {rows.map((r, i) => (
          <tr>
            {fields.map((f) => (
              <td>
                {f.options ? (
                  <select aria-label={f.label} name={f.key} value={r[f.key]} onChange={(e) => set(i, f.key, e.currentTarget.value)}>
                    {f.options.map((o) => {
                      const [value, label] = Array.isArray(o) ? o : [o, o];
                      return <option value={value}>{label}</option>;
                    })}
                  </select>
                ) : (
                  <input aria-label={f.label} name={f.key} value={r[f.key] ?? ''} size={f.size || 12} onInput={(e) => set(i, f.key, e.currentTarget.value)} />
                )}
              </td>
            ))}
            <td>
              <button type="button" onClick={() => setRows(rows.filter((_, j) => j !== i))}>Remove</button>
            </td>
          </tr>
        ))}
        {rows.length === 0 && (
          <tr>
            <td colSpan={fields.length + 1}>{empty}</td>
          </tr>
        )}
      </tbody>
    </table>
  );
}

function Editor({ doc }) {
  const [version, setVersion] = useState(doc.version);
  const [mode, setMode] = useState(doc.trackers.mode || 'extend');
  const [rules, setRules] = useState(doc.trackers.rules.map((r) => ({ ...r, phrases: r.phrases.join(', ') })));
  const [criteria, setCriteria] = useState(
    (doc.scorecard?.criteria || []).map((c) => ({ ...c, min: c.benchmark?.min ?? '', max: c.benchmark?.max ?? '', tracker: c.tracker ?? '' })),
  );
  const [agents, setAgents] = useState(doc.agents.agents.map((a) => ({ ...a, team_id: a.team_id ?? '' })));
  const [teams, setTeams] = useState(doc.agents.teams);
  const [alerts, setAlerts] = useState((doc.alerts?.rules || []).map(alertRuleRow));
  const weights = criteria.reduce((s, c) => s + (Number(c.weight) || 0), 0);
  return (
    <>
      <p class="lead">
        Settings version <strong data-testid="settings-version">{version}</strong>. Each save moves it on by one; every call processed a minute later uses it, and its analysis says which version.
      </p>
      <section aria-labelledby="h-trackers">
        <h2 id="h-trackers">Tracker rules</h2>
        <label>
          Built-in rules{' '}
          <select name="mode" value={mode} onChange={(e) => setMode(e.currentTarget.value)}>
            <option value="extend">kept, with these added</option>
            <option value="replace">replaced by these</option>
          </select>
        </label>
        <Rows
          testid="rules"
          rows={rules}
          setRows={setRules}
          empty="No rules of your own."
          fields={[
            { key: 'name', label: 'Name' },
            { key: 'category', label: 'Category', options: CATEGORIES },
            { key: 'phrases', label: 'Phrases (comma-separated)', size: 40 },
          ]}
        />
        <button type="button" onClick={() => setRules([...rules, { name: '', category: 'custom', phrases: '' }])}>
          Add a rule
        </button>
        <Saver
          label="Save tracker rules"
          section="trackers"
          version={version}
          onSaved={setVersion}
          body={() => ({ mode, rules: rules.map(({ phrases, ...r }) => ({ ...r, phrases: phrasesOf(phrases) })) })}
        />
      </section>
      <section aria-labelledby="h-scorecard">
        <h2 id="h-scorecard">Scorecard</h2>
        <p>
          {criteria.length === 0 ? 'The built-in criteria score calls.' : `Weights add up to ${weights} (they must add up to 100).`} A criterion earns its weight when the call is within its band (min / max), or for yes/no measures when it holds.
        </p>
        <Rows
          testid="criteria"
          rows={criteria}
          setRows={setCriteria}
          empty="No criteria: the built-in ones apply."
          fields={[
            { key: 'measure', label: 'Measure', options: MEASURES },
            { key: 'weight', label: 'Weight', size: 4 },
            { key: 'min', label: 'Min', size: 5 },
            { key: 'max', label: 'Max', size: 5 },
            { key: 'tracker', label: 'Tracker (present/absent)', size: 12 },
          ]}
        />
        <button type="button" onClick={() => setCriteria([...criteria, { measure: 'questions_agent', weight: '', min: '', max: '', tracker: '' }])}>
          Add a criterion
        </button>
        <Saver
          label="Save scorecard"
          section="scorecard"
          version={version}
          onSaved={setVersion}
          body={() => (criteria.length ? { criteria: criteria.map(criterionBody) } : null)}
        />
      </section>
      <section aria-labelledby="h-agents">
        <h2 id="h-agents">Agents and teams</h2>
        <Rows
          testid="agents"
          rows={agents}
          setRows={setAgents}
          empty="No names yet: agents are shown by id."
          fields={[
            { key: 'agent_id', label: 'Agent id' },
            { key: 'name', label: 'Display name', size: 20 },
            { key: 'team_id', label: 'Team id' },
          ]}
        />
        <button type="button" onClick={() => setAgents([...agents, { agent_id: '', name: '', team_id: '' }])}>
          Add an agent
        </button>
        <Rows
          testid="teams"
          rows={teams}
          setRows={setTeams}
          empty="No team names."
          fields={[
            { key: 'team_id', label: 'Team id' },
            { key: 'name', label: 'Team name', size: 20 },
          ]}
        />
        <button type="button" onClick={() => setTeams([...teams, { team_id: '', name: '' }])}>
          Add a team
        </button>
        <Saver
          label="Save agents and teams"
          section="agents"
          version={version}
          onSaved={setVersion}
          body={() => ({
            agents: agents.map(({ team_id, ...a }) => (team_id ? { ...a, team_id } : a)),
            teams,
          })}
        />
      </section>
      <section aria-labelledby="h-alerts">
        <h2 id="h-alerts">Alert rules</h2>
        <p>
          Each rule a call breaks raises a CallAlert event on the stack's EventBridge bus, with the evidence. Value: a score from 1 to 100; a tracker's name; a category; the customer's sentiment in the last quarter of the call, from -1 to 1; a number of interruptions (by whom); an outcome: won, lost, follow_up or no_decision.
        </p>
        <Rows
          testid="alerts"
          rows={alerts}
          setRows={setAlerts}
          empty="No alert rules."
          fields={[
            { key: 'id', label: 'Rule id', size: 10 },
            { key: 'name', label: 'Rule name', size: 20 },
            { key: 'kind', label: 'When', options: ALERT_KINDS },
            { key: 'value', label: 'Value', size: 10 },
            { key: 'by', label: 'Interrupted by', options: ['agent', 'customer', 'any'] },
            { key: 'enabled', label: 'Enabled', options: ['yes', 'no'] },
          ]}
        />
        <button type="button" onClick={() => setAlerts([...alerts, { id: '', name: '', kind: 'score_below', value: '', by: 'agent', enabled: 'yes' }])}>
          Add an alert rule
        </button>
        <Saver
          label="Save alert rules"
          section="alerts"
          version={version}
          onSaved={setVersion}
          body={() => ({ rules: alerts.map(alertRuleBody) })}
        />
      </section>
    </>
  );
}

/**
 * A request the API runs in the background (a customer's erasure, a re-analysis of a range):
 * `start(send)` sends it, then reads it with `read` less often as it runs (each read counts
 * against the tenant's ingest rate limit) until it is done, the page is left, or ten minutes
 * have passed; `follow(request)` reads it again after that.
 */
function useBackgroundRequest(read) {
  const live = useRef(true);
  useEffect(() => () => (live.current = false), []);
  const [state, setState] = useState({});
  const show = (next) => live.current && setState(next);
  const follow = async (request) => {
    show({ busy: true, request });
    const started = Date.now();
    for (let wait = 1500; live.current && request.status !== 'done'; wait = Math.min(wait * 1.5, 15000)) {
      if (Date.now() - started > 600000) return show({ request, stalled: 'still running after ten minutes; it goes on without this page' });
      await new Promise((r) => setTimeout(r, wait));
      try {
        request = await read(request);
      } catch (e) {
        if (e.status === 429) continue;
        return show({ request, stalled: `its progress could not be read (${e.message})` });
      }
      show({ busy: request.status !== 'done', request });
    }
  };
  const start = async (send) => {
    setState({ busy: true });
    let request;
    try {
      request = await send();
    } catch (e) {
      return show({ error: e.message });
    }
    await follow(request);
  };
  return [state, start, follow];
}

/** "…; it goes on without this page. [Read its progress again]" when reading stopped. */
const Stalled = ({ state, follow }) =>
  state.stalled && (
    <>
      {' '}
      <button type="button" onClick={() => follow(state.request)}>
        Read its progress again
      </button>
    </>
  );

/** After a change of trackers or scorecard: the calls of a range analysed again (POST /api/v1/reanalyses). */
function ReanalyseCalls() {
  const [from, setFrom] = useState('');
  const [to, setTo] = useState('');
  const [state, start, follow] = useBackgroundRequest((r) => api.reanalysis(r.reanalysis_id));
  const r = state.request;
  const send = () => start(() => api.reanalyseCalls({ ...(from && { from_date: from }), ...(to && { to_date: to }) }));
  return (
    <section aria-labelledby="h-reanalyse">
      <h2 id="h-reanalyse">Re-analyse past calls</h2>
      <p class="muted">
        After a change of tracker rules or scorecard, the calls that started in the range (every call when both dates are empty) are analysed again with the settings in force, a few a second behind new calls; their scores and the totals move to the new analysis. A save reaches the analysis within a minute, so wait a minute after saving.
      </p>
      <p>
        <label>
          From <input type="date" name="reanalyse_from" value={from} data-testid="reanalyse-from" onInput={(e) => setFrom(e.currentTarget.value)} />
        </label>{' '}
        <label>
          To <input type="date" name="reanalyse_to" value={to} data-testid="reanalyse-to" onInput={(e) => setTo(e.currentTarget.value)} />
        </label>{' '}
        <button type="button" data-testid="reanalyse-calls" disabled={state.busy} onClick={send}>
          Re-analyse these calls
        </button>
      </p>
      {r && (
        <p role="status" data-testid="reanalyse-progress" data-status={r.status} data-queued={r.queued} data-skipped={r.skipped}>
          {r.status === 'done'
            ? `Done: ${r.queued} ${r.queued === 1 ? 'call' : 'calls'} queued to be analysed again; ${r.skipped} not analysed yet or gone, left as they are.`
            : `Queuing the calls of the range (request ${r.reanalysis_id}): ${r.queued} so far${state.stalled ? `; ${state.stalled}.` : '…'}`}
          <Stalled state={state} follow={follow} />
        </p>
      )}
      {state.error && (
        <p class="state error" role="alert" data-testid="reanalyse-error">
          Not queued: {state.error}
        </p>
      )}
    </section>
  );
}

/**
 * A data subject's request: every call of one customer erased (POST /api/v1/erasures), after a
 * confirmation, with the request's progress read until it is done.
 */
function EraseCustomer() {
  const dialog = useRef(null);
  const [customer, setCustomer] = useState('');
  const [state, start, follow] = useBackgroundRequest((r) => api.erasure(r.erasure_id));
  const confirm = () =>
    start(async () => {
      try {
        return await api.eraseCustomer(customer.trim());
      } finally {
        dialog.current?.close();
      }
    });
  const r = state.request;
  return (
    <section aria-labelledby="h-erase-customer" class="erase">
      <h2 id="h-erase-customer">Erase a customer's calls</h2>
      <p class="muted">
        For a data subject's request: every call of this customer id goes from every table, total and export, as when a call is deleted from its page. It runs in the background; this page shows how far it got. Calls sent in the minute before, or while it runs, may be missed: erase again a few minutes later to be sure.
      </p>
      <p>
        <label>
          Customer id{' '}
          <input name="customer_id" value={customer} size={24} data-testid="erase-customer-id" onInput={(e) => setCustomer(e.currentTarget.value)} />
        </label>{' '}
        <button type="button" class="danger" data-testid="erase-customer" disabled={state.busy || !customer.trim()} onClick={() => dialog.current?.showModal()}>
          Erase every call of this customer…
        </button>
      </p>
      {r && (
        <p role="status" data-testid="erase-customer-progress" data-status={r.status} data-erased={r.erased}>
          {r.status === 'done'
            ? `Done: ${r.erased} ${r.erased === 1 ? 'call' : 'calls'} of ${r.customer_id} erased.`
            : `Erasing the calls of ${r.customer_id} (request ${r.erasure_id}): ${r.erased} so far${state.stalled ? `; ${state.stalled}.` : '…'}`}
          <Stalled state={state} follow={follow} />
        </p>
      )}
      {state.error && (
        <p class="state error" role="alert" data-testid="erase-customer-error">
          Not erased: {state.error}
        </p>
      )}
      <ConfirmDialog
        dialogRef={dialog}
        testid="erase-customer"
        title={`Erase every call of ${customer.trim()}?`}
        action="Erase"
        busyAction="Erasing…"
        busy={state.busy}
        onConfirm={confirm}
      >
        <p>Their transcripts, analyses and listings are erased everywhere, and they are taken out of every total and leaderboard. This cannot be undone.</p>
      </ConfirmDialog>
    </section>
  );
}

export function Settings() {
  const state = useLoad(() => api.settings(), []);
  return (
    <>
      <h1>Settings</h1>
      <Loaded state={state} what="the settings">
        {(doc) => <Editor doc={doc} />}
      </Loaded>
      <ReanalyseCalls />
      <EraseCustomer />
    </>
  );
}
