// Overview: the range's totals, per-day charts, the teams side by side, the most missed benchmarks.
import { api, each } from '../api.js';
import { commonNudges, mergeSeries, overall, teamsSeen } from '../data.js';
import * as f from '../format.js';
import { Chart, Empty, Figures, Loaded, RangeForm, href, rangeOf, rangeText, useLoad } from '../ui.jsx';

async function loadOverview(range) {
  const board = await api.agents(range);
  const perAgent = await each(board.agents, 4, (a) => api.agent(a.agent_id, range));
  const teamIds = await teamsSeen(range);
  const teams = await each(teamIds, 4, (t) => api.team(t, range));
  return { agents: board.agents, totals: overall(board.agents), series: mergeSeries(perAgent.map((a) => a.series)), teams };
}

const NoTeam = ({ teams, total }) => {
  const missing = total - teams.reduce((n, t) => n + t.totals.total_calls, 0);
  return missing > 0 ? <p class="muted">{missing === 1 ? '1 call names no team.' : `${missing} calls name no team.`}</p> : null;
};

export function Overview({ query }) {
  const range = rangeOf(query);
  const state = useLoad(() => loadOverview(range), [query.toString()]);
  const nudges = useLoad(() => commonNudges(range), [query.toString()]);
  return (
    <>
      <h1>Overview</h1>
      <RangeForm path="overview" query={query} />
      <p class="lead">Calls of {rangeText(query)}.</p>
      <Loaded state={state} what="the overview" tall="62rem">
        {(d) =>
          d.totals.total_calls === 0 ? (
            <Empty>No analysed calls in this range yet. Upload some on the <a href="#/upload">Upload</a> page.</Empty>
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
              <section aria-labelledby="per-day">
                <h2 id="per-day">Per day</h2>
                <div class="grid two">
                  <Chart id="chart-calls" title="Calls" x={d.series.map((p) => p.day)} series={[{ label: 'Calls', values: d.series.map((p) => p.total_calls) }]} bars integer format={(v) => f.count(v)} />
                  <Chart id="chart-score" title="Average score" x={d.series.map((p) => p.day)} series={[{ label: 'Score', values: d.series.map((p) => p.avg_score) }]} format={f.score} />
                  <Chart id="chart-sentiment" title="Customer sentiment" x={d.series.map((p) => p.day)} series={[{ label: 'Sentiment', values: d.series.map((p) => p.avg_sentiment) }]} format={f.sentiment} />
                  <Chart id="chart-talk" title="Agent talk ratio" x={d.series.map((p) => p.day)} series={[{ label: 'Talk ratio', values: d.series.map((p) => p.avg_talk_ratio) }]} format={f.percent} />
                </div>
              </section>
              <section aria-labelledby="teams">
                <h2 id="teams">Teams</h2>
                {d.teams.length === 0 ? (
                  <Empty>No call in this range names a team.</Empty>
                ) : (
                  <div class="cards">
                    {d.teams.map((t) => (
                      <article class="card" data-team={t.id}>
                        <h3>
                          <a href={href('agents', { team: t.id, from: query.get('from'), to: query.get('to') })}>Team {t.id}</a>
                        </h3>
                        <Figures
                          items={[
                            ['Calls', t.totals.total_calls, f.count(t.totals.total_calls)],
                            ['Score', t.totals.avg_score, f.score(t.totals.avg_score)],
                            ['Sentiment', t.totals.avg_sentiment, f.sentiment(t.totals.avg_sentiment)],
                            ['Talk ratio', t.totals.avg_talk_ratio, f.percent(t.totals.avg_talk_ratio)],
                          ]}
                        />
                      </article>
                    ))}
                  </div>
                )}
                <NoTeam teams={d.teams} total={d.totals.total_calls} />
              </section>
            </>
          )
        }
      </Loaded>
      <section aria-labelledby="missed">
        <h2 id="missed">Most missed coaching benchmarks</h2>
        <Loaded state={nudges} what="the coaching benchmarks">
          {(n) =>
            n.list.length === 0 ? (
              <Empty>No benchmark was missed in the newest {n.sampled} analysed calls.</Empty>
            ) : (
              <>
                <p class="lead">In the newest {n.sampled} of {n.total} analysed calls of the range.</p>
                <ol class="nudges">
                  {n.list.slice(0, 5).map((g) => (
                    <li>
                      <strong>{g.title}</strong>: missed in <span data-value={g.calls.length}>{g.calls.length}</span> of {n.sampled} calls. <span class="muted">Benchmark: {g.benchmark} ({g.source}).</span>{' '}
                      <a href={href(`calls/${g.calls[0]}`)}>See a call</a>
                    </li>
                  ))}
                </ol>
              </>
            )
          }
        </Loaded>
      </section>
    </>
  );
}
