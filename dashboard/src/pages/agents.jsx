// Agents: the leaderboard, sortable and filtered by team, and one agent's page.
import { api } from '../api.js';
import { commonNudges } from '../data.js';
import * as f from '../format.js';
import { Chart, Empty, Figures, Loaded, RangeForm, SortTable, href, rangeOf, rangeText, useLoad } from '../ui.jsx';

const perCall = (a) => (a.total_calls ? a.questions_agent / a.total_calls : null);

export function Agents({ query }) {
  const team = query.get('team') || '';
  const state = useLoad(() => api.agents({ ...rangeOf(query), team_id: team || undefined }), [query.toString()]);
  const columns = [
    { key: 'agent', label: 'Agent', value: (a) => a.name, render: (a) => <a href={href(`agents/${a.agent_id}`, { from: query.get('from'), to: query.get('to') })}>{a.name}</a> },
    { key: 'calls', label: 'Calls', value: (a) => a.total_calls },
    { key: 'score', label: 'Avg score', value: (a) => a.avg_score, render: (a) => f.score(a.avg_score) },
    { key: 'sentiment', label: 'Customer sentiment', value: (a) => a.avg_sentiment, render: (a) => f.sentiment(a.avg_sentiment) },
    { key: 'talk', label: 'Talk ratio', value: (a) => a.avg_talk_ratio, render: (a) => f.percent(a.avg_talk_ratio) },
    { key: 'questions', label: 'Questions per call', value: perCall, render: (a) => f.num(perCall(a)) },
  ];
  return (
    <>
      <h1>Agents</h1>
      <RangeForm
        path="agents"
        query={query}
        extra={
          <label>
            Team <input name="team" value={team} placeholder="all teams" size="10" />
          </label>
        }
      />
      <Loaded state={state} what="the leaderboard">
        {(d) =>
          d.agents.length === 0 ? (
            <Empty>No agent has calls {team ? `in team ${team} ` : ''}for {rangeText(query)}.</Empty>
          ) : (
            <SortTable
              caption={`Leaderboard${team ? ` of team ${team}` : ''}, ${rangeText(query)}: choose a column to sort by it`}
              columns={columns}
              rows={d.agents}
              initial={{ key: 'calls', desc: true }}
            />
          )
        }
      </Loaded>
    </>
  );
}

const BINS = Array.from({ length: 10 }, (_, i) => i * 10);

function histogram(calls) {
  const counts = BINS.map(() => 0);
  for (const c of calls) if (c.score !== null) counts[Math.min(9, Math.floor(c.score / 10))] += 1;
  return counts;
}

const Counts = ({ title, counts, empty }) => {
  const entries = Object.entries(counts).sort((a, b) => b[1] - a[1]);
  return (
    <section class="card">
      <h3>{title}</h3>
      {entries.length === 0 ? (
        <Empty>{empty}</Empty>
      ) : (
        <table class="data compact">
          <tbody>
            {entries.map(([k, v]) => (
              <tr>
                <th scope="row">{f.label(k)}</th>
                <td data-value={v}>{f.count(v)}</td>
              </tr>
            ))}
          </tbody>
        </table>
      )}
    </section>
  );
};

export function Agent({ agentId, query }) {
  const range = rangeOf(query);
  const state = useLoad(() => api.agent(agentId, range), [agentId, query.toString()]);
  const calls = useLoad(() => api.calls({ ...range, agent_id: agentId, min_sentiment: -1, limit: 100 }), [agentId, query.toString()]);
  const nudges = useLoad(() => commonNudges({ ...range, agent_id: agentId }), [agentId, query.toString()]);
  return (
    <>
      <p class="crumbs">
        <a href={href('agents', { from: query.get('from'), to: query.get('to') })}>Agents</a> › {agentId}
      </p>
      <h1>Agent {agentId}</h1>
      <RangeForm path={`agents/${agentId}`} query={query} />
      <Loaded state={state} what={`${agentId}'s analytics`}>
        {(d) =>
          d.totals.total_calls === 0 ? (
            <Empty>{agentId} has no analysed calls for {rangeText(query)}.</Empty>
          ) : (
            <>
              <Figures
                items={[
                  ['Calls', d.totals.total_calls, f.count(d.totals.total_calls), 'total-calls'],
                  ['Average score', d.totals.avg_score, f.score(d.totals.avg_score), 'avg-score'],
                  ['Customer sentiment', d.totals.avg_sentiment, f.sentiment(d.totals.avg_sentiment), 'avg-sentiment'],
                  ['Agent talk ratio', d.totals.avg_talk_ratio, f.percent(d.totals.avg_talk_ratio), 'avg-talk-ratio'],
                ]}
              />
              <div class="grid two">
                <Chart title="Average score" x={d.series.map((p) => p.day)} series={[{ label: 'Score', values: d.series.map((p) => p.avg_score) }]} format={f.score} />
                <Chart title="Customer sentiment" x={d.series.map((p) => p.day)} series={[{ label: 'Sentiment', values: d.series.map((p) => p.avg_sentiment) }]} format={f.sentiment} />
                <Chart title="Agent talk ratio" x={d.series.map((p) => p.day)} series={[{ label: 'Talk ratio', values: d.series.map((p) => p.avg_talk_ratio) }]} format={f.percent} />
                <Chart
                  title="Questions per call"
                  x={d.series.map((p) => p.day)}
                  series={[
                    { label: 'Agent', values: d.series.map((p) => (p.total_calls ? p.questions_agent / p.total_calls : null)) },
                    { label: 'Customer', values: d.series.map((p) => (p.total_calls ? p.questions_customer / p.total_calls : null)) },
                  ]}
                  format={(v) => f.num(v)}
                />
              </div>
              <div class="grid">
                <Counts title="Tracker mentions" counts={d.totals.tracker_hits} empty="No tracker fired." />
                <Counts title="Outcomes" counts={d.totals.outcomes} empty="No call recorded an outcome." />
              </div>
            </>
          )
        }
      </Loaded>
      <section aria-labelledby="scores">
        <h2 id="scores">Score distribution</h2>
        <Loaded state={calls} what="the agent's calls">
          {(c) =>
            c.calls.length === 0 ? (
              <Empty>No analysed calls to count.</Empty>
            ) : (
              <Chart
                title={`Calls per score band (newest ${c.calls.length} of ${c.total} analysed calls)`}
                x={BINS}
                xLabel="Score"
                xFormat={(b) => `${b}–${b + 9}`}
                series={[{ label: 'Calls', values: histogram(c.calls) }]}
                bars
                integer
              />
            )
          }
        </Loaded>
      </section>
      <section aria-labelledby="nudges">
        <h2 id="nudges">Most frequent coaching nudges</h2>
        <Loaded state={nudges} what="the coaching nudges">
          {(n) =>
            n.list.length === 0 ? (
              <Empty>No nudge in the newest {n.sampled} analysed calls.</Empty>
            ) : (
              <ol class="nudges">
                {n.list.map((g) => (
                  <li>
                    <strong>{g.title}</strong> ({g.calls.length} of {n.sampled} calls; benchmark: {g.benchmark}). Calls:{' '}
                    {g.calls.slice(0, 6).map((id, i) => (
                      <>
                        {i ? ', ' : ''}
                        <a href={href(`calls/${id}`)}>{id}</a>
                      </>
                    ))}
                    {g.calls.length > 6 ? ` and ${g.calls.length - 6} more` : ''}
                  </li>
                ))}
              </ol>
            )
          }
        </Loaded>
      </section>
    </>
  );
}
