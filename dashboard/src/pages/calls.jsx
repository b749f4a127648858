// Calls: the list with every filter the API takes, paged by cursor.
import { api } from '../api.js';
import * as f from '../format.js';
import { Empty, Loaded, go, href, useLoad } from '../ui.jsx';

const FILTERS = [
  ['agent_id', 'Agent', 'text'],
  ['team_id', 'Team', 'text'],
  ['from_date', 'From', 'date'],
  ['to_date', 'To', 'date'],
  ['min_sentiment', 'Sentiment at least', 'number'],
  ['max_sentiment', 'Sentiment at most', 'number'],
];

const LIMIT = 25;

export function Calls({ query }) {
  const params = Object.fromEntries(FILTERS.map(([k]) => [k, query.get(k) || undefined]));
  // The cursors of the pages before this one, so "Previous" can go back.
  const trail = (query.get('trail') || '').split(' ').filter(Boolean);
  const cursor = query.get('cursor') || undefined;
  const state = useLoad(() => api.calls({ ...params, cursor, limit: LIMIT }), [query.toString()]);
  const submit = (e) => {
    e.preventDefault();
    go('calls', Object.fromEntries(new FormData(e.currentTarget).entries()));
  };
  const page = (extra) => href('calls', { ...params, ...extra });
  return (
    <>
      <h1>Calls</h1>
      {query.get('erased') && (
        <p class="state" role="status" data-testid="erased-notice">
          Call {query.get('erased')} was deleted.
        </p>
      )}
      <form class="filters" onSubmit={submit} aria-label="Filter calls">
        {FILTERS.map(([name, text, type]) => (
          <label>
            {text}{' '}
            <input name={name} type={type} value={query.get(name) || ''} size={type === 'number' ? 5 : 12} {...(type === 'number' ? { min: -1, max: 1, step: 0.05 } : {})} />
          </label>
        ))}
        <button type="submit">Filter</button>
        <a href="#/calls">Clear</a>
      </form>
      <Loaded state={state} what="the calls">
        {(d) =>
          d.calls.length === 0 ? (
            <Empty>No call matches these filters.</Empty>
          ) : (
            <>
              <p class="lead" data-testid="calls-total" data-value={d.total}>
                {trail.length * LIMIT + 1}–{trail.length * LIMIT + d.calls.length} of {f.count(d.total)} calls, newest first.
              </p>
              <div class="scroll">
                <table class="data">
                  <caption class="sr-only">Calls</caption>
                  <thead>
                    <tr>
                      {['Call', 'Started', 'Agent', 'Team', 'Customer', 'Length', 'Status', 'Score', 'Sentiment', 'Outcome'].map((h) => (
                        <th scope="col">{h}</th>
                      ))}
                    </tr>
                  </thead>
                  <tbody>
                    {d.calls.map((c) => (
                      <tr data-call={c.call_id}>
                        <th scope="row">
                          <a href={href(`calls/${c.call_id}`)}>{c.call_id}</a>
                        </th>
                        <td>{f.when(c.start_time)}</td>
                        <td>
                          <a href={href(`agents/${c.agent_id}`)}>{c.agent_id}</a>
                        </td>
                        <td>{c.team_id || '—'}</td>
                        <td>{c.customer_id}</td>
                        <td>{f.seconds(c.duration_seconds)}</td>
                        <td>
                          <span class={`status ${c.status.toLowerCase()}`}>{c.status.toLowerCase()}</span>
                        </td>
                        <td data-value={c.score ?? ''}>{c.score ?? '—'}</td>
                        <td data-value={c.customer_sentiment_score ?? ''}>{f.sentiment(c.customer_sentiment_score)}</td>
                        <td>{f.label(c.outcome)}</td>
                      </tr>
                    ))}
                  </tbody>
                </table>
              </div>
              <nav class="pager" aria-label="Pages">
                {trail.length > 0 && (
                  <a href={page({ cursor: trail[trail.length - 1] === '-' ? undefined : trail[trail.length - 1], trail: trail.slice(0, -1).join(' ') })} rel="prev">
                    ← Previous page
                  </a>
                )}
                {d.next_cursor && (
                  <a href={page({ cursor: d.next_cursor, trail: [...trail, cursor || '-'].join(' ') })} rel="next">
                    Next page →
                  </a>
                )}
              </nav>
            </>
          )
        }
      </Loaded>
    </>
  );
}
