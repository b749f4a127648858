// What the pages put together from several API answers, where the API has no single route yet
// (see the dashboard section of docs: a tenant series, a teams list, coaching counts).
import { api, each } from './api.js';

/** Merges per-agent day series into one: calls and questions summed, averages weighted by calls. */
export function mergeSeries(seriesList) {
  const days = new Map();
  for (const series of seriesList) {
    for (const p of series) {
      const d = days.get(p.day) || { day: p.day, calls: 0, score: 0, sentiment: 0, talk: 0, questions: 0 };
      d.calls += p.total_calls;
      d.score += (p.avg_score ?? 0) * p.total_calls;
      d.sentiment += (p.avg_sentiment ?? 0) * p.total_calls;
      d.talk += (p.avg_talk_ratio ?? 0) * p.total_calls;
      d.questions += p.questions_agent;
      days.set(p.day, d);
    }
  }
  return [...days.values()]
    .sort((a, b) => (a.day < b.day ? -1 : 1))
    .map((d) => ({
      day: d.day,
      total_calls: d.calls,
      avg_score: d.calls ? d.score / d.calls : null,
      avg_sentiment: d.calls ? d.sentiment / d.calls : null,
      avg_talk_ratio: d.calls ? d.talk / d.calls : null,
      questions_agent: d.questions,
    }));
}

/** Totals of the whole leaderboard, averages weighted by each agent's calls. */
export function overall(agents) {
  const calls = agents.reduce((n, a) => n + a.total_calls, 0);
  const mean = (field) => (calls ? agents.reduce((s, a) => s + (a[field] ?? 0) * a.total_calls, 0) / calls : null);
  return { total_calls: calls, avg_score: mean('avg_score'), avg_sentiment: mean('avg_sentiment'), avg_talk_ratio: mean('avg_talk_ratio') };
}

/** The team ids seen on the newest (up to 100) calls of a range: the API has no teams list. */
export async function teamsSeen(range) {
  const page = await api.calls({ ...range, limit: 100 });
  return [...new Set(page.calls.map((c) => c.team_id).filter(Boolean))].sort();
}

/**
 * The coaching nudges of the newest processed calls (a sentiment bound leaves out unprocessed
 * ones), grouped by title: [{title, metric, benchmark, priority, calls: [call_id]}], most first.
 */
export async function commonNudges(params, sample = 20) {
  const page = await api.calls({ ...params, min_sentiment: -1, limit: sample });
  const answers = await each(page.calls, 4, (c) => api.recommendations(c.call_id).then((r) => ({ call: c, r })));
  const groups = new Map();
  for (const { call, r } of answers) {
    for (const n of r.coaching_nudges) {
      const g = groups.get(n.metric) || { title: n.title, metric: n.metric, benchmark: n.benchmark, source: n.source, priority: n.priority, calls: [] };
      g.calls.push(call.call_id);
      groups.set(n.metric, g);
    }
  }
  const list = [...groups.values()].sort((a, b) => b.calls.length - a.calls.length || (a.title < b.title ? -1 : 1));
  return { sampled: page.calls.length, total: page.total, list };
}
