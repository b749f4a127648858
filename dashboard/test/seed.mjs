// Seeds a `callscope local serve` through its API, as a client would: the sample calls of
// events/calls (the bare Transcribe / Contact Lens files wrapped in a call document) and a week of
// generated calls for four agents in two teams, then waits until every call is analysed and
// counted. `node dashboard/test/seed.mjs http://127.0.0.1:3000` seeds `make serve`.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const samples = fileURLToPath(new URL('../../events/calls/', import.meta.url));
const TEAMS = { 'ana.lima': 'east', 'ben.okafor': 'east', 'chen.wu': 'west', 'sam.ortiz': 'west' };
const DAYS = ['2026-10-27', '2026-10-28', '2026-10-29', '2026-10-30', '2026-10-31', '2026-11-01', '2026-11-02'];

/** A small deterministic generator (mulberry32), so every seed run posts the same calls. */
function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

const AGENT_LINES = [
  'Thanks for taking the time today. Just so you know, this call is being recorded.',
  'What made you look at call analytics this quarter?',
  'How does your team review calls today?',
  'Um, basically our platform scores every call and, you know, suggests coaching.',
  'Our pricing starts at forty dollars per seat per month.',
  'Compared to Gong we focus on coaching per agent rather than dashboards.',
  'Who else needs to sign off on a purchase like this?',
  'What would success look like for you in six months?',
  'I will send you the proposal by Friday.',
  'Let me walk you through the whole onboarding in detail, it takes about two weeks, we set up the integration, import your history, train the scorecard and then run a pilot with two teams before the rollout.',
  'Can we schedule a demo with your team next week?',
  'That makes sense. How many reps are on the team?',
];
const CUSTOMER_LINES = [
  'Sure, happy to chat.',
  'We mostly listen to random calls, which takes forever.',
  'Honestly the budget is tight this year.',
  'That sounds great, I like that it is per agent.',
  'We are also talking to Gong.',
  'My director would need to approve it.',
  'About twenty reps, split in two teams.',
  'I am not sure this is a priority right now.',
  'Could you share a case study?',
  'Yes, next Tuesday works for us.',
  'This is frustrating, our last tool was terrible.',
  'Perfect, thank you.',
];

export function generatedCalls(count = 28) {
  const agents = Object.keys(TEAMS);
  const outcomes = ['won', 'lost', 'follow_up', 'no_decision'];
  return Array.from({ length: count }, (_, i) => {
    const r = rng(1000 + i);
    const agent = agents[i % agents.length];
    const day = DAYS[i % DAYS.length];
    const utterances = [];
    let t = 0;
    const turns = 8 + Math.floor(r() * 10);
    for (let k = 0; k < turns; k++) {
      const agentTurn = k % 2 === 0;
      const pool = agentTurn ? AGENT_LINES : CUSTOMER_LINES;
      const text = k === 0 ? AGENT_LINES[0] : pool[Math.floor(r() * pool.length)];
      const length = 2 + text.split(' ').length * (0.3 + r() * 0.2);
      utterances.push({ speaker: agentTurn ? 'agent' : 'customer', text, start: +t.toFixed(1), end: +(t + length).toFixed(1) });
      t += length + 0.3 + r() * 2.5;
    }
    return {
      call_id: `seed-${day}-${String(i).padStart(3, '0')}`,
      agent_id: agent,
      customer_id: `customer-${i % 9}`,
      team_id: TEAMS[agent],
      language: 'en-US',
      start_time: `${day}T${String(9 + (i % 8)).padStart(2, '0')}:${String((i * 7) % 60).padStart(2, '0')}:00Z`,
      duration_seconds: Math.ceil(t),
      outcome: outcomes[Math.floor(r() * outcomes.length)],
      utterances,
    };
  });
}

/** The sample files as call documents. */
export function sampleCalls() {
  const read = (name) => JSON.parse(readFileSync(samples + name, 'utf8'));
  const calls = ['callscope_discovery.json', 'plain_discovery.json', 'transcribe_call_analytics_call.json'].map(read);
  const bare = [
    ['transcribe_call_analytics.json', 'chen.wu', 'west'],
    ['transcribe_call_analytics_renewal.json', 'ben.okafor', 'east'],
    ['contact_lens.json', 'ana.lima', 'east'],
    ['contact_lens_words.json', 'chen.wu', 'west'],
    ['transcribe_standard.json', 'sam.ortiz', 'west'],
  ];
  bare.forEach(([name, agent, team], i) =>
    calls.push({
      call_id: `sample-${name.replace(/\.json$/, '').replace(/_/g, '-')}`,
      agent_id: agent,
      customer_id: 'globex',
      team_id: team,
      start_time: `2026-11-0${1 + (i % 2)}T1${i}:15:00Z`,
      transcribe: read(name),
    }),
  );
  return calls;
}

async function json(base, path, init) {
  const reply = await fetch(base + path, init);
  const body = await reply.json().catch(() => null);
  if (!reply.ok && reply.status !== 409) throw new Error(`${init?.method || 'GET'} ${path}: ${reply.status} ${JSON.stringify(body)}`);
  return body;
}

/** A webhook endpoint without a signing secret: each call's CallAnalysed delivery is parked at once, with why. */
const PARKED_WEBHOOK = { endpoints: { CallAnalysed: 'http://127.0.0.1:9/hook' } };

/** Sets the webhook endpoint, posts the calls (in bulks of 25), then waits until each is analysed and the rollups count them. */
export async function seed(base, calls = [...sampleCalls(), ...generatedCalls()]) {
  await json(base, '/api/v1/settings/webhooks', { method: 'PUT', headers: { 'content-type': 'application/json' }, body: JSON.stringify(PARKED_WEBHOOK) });
  for (let i = 0; i < calls.length; i += 25) {
    await json(base, '/api/v1/calls/bulk', {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ calls: calls.slice(i, i + 25) }),
    });
  }
  return drain(base, calls.length);
}

/** Waits until at least `expected` calls exist, none is waiting, and the leaderboard counts every processed one. */
export async function drain(base, expected, timeoutMs = 180_000) {
  const until = Date.now() + timeoutMs;
  for (;;) {
    const calls = [];
    let cursor = '';
    do {
      const page = await json(base, `/api/v1/calls?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
      calls.push(...page.calls);
      cursor = page.next_cursor;
    } while (cursor);
    const processed = calls.filter((c) => c.status === 'PROCESSED').length;
    const waiting = calls.filter((c) => c.status === 'RECEIVED').length;
    const board = await json(base, '/api/v1/analytics/agents');
    const counted = board.agents.reduce((n, a) => n + a.total_calls, 0);
    if (calls.length >= expected && waiting === 0 && counted === processed) return { calls: calls.length, processed };
    if (Date.now() > until) throw new Error(`not drained: ${calls.length}/${expected} calls, ${waiting} waiting, ${counted}/${processed} counted`);
    await new Promise((r) => setTimeout(r, 1000));
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const base = (process.argv[2] || 'http://127.0.0.1:3000').replace(/\/$/, '');
  console.log(await seed(base));
}
