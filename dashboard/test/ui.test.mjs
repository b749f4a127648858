// The dashboard as a person uses it, in headless Chromium against a `callscope local serve`
// (CALLSCOPE_UI_BASE) seeded through the API: the numbers on the pages equal the API's JSON,
// the links lead where they say, uploads reach PROCESSED or show the API's reason, and every
// page leaves a screenshot in target/ui/. A console error (a CSP violation among them) fails.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import * as f from '../src/format.js';
import { BASE, SHOTS, getJson, launch } from './browser.mjs';
import { seed } from './seed.mjs';

const samples = fileURLToPath(new URL('../../events/calls/', import.meta.url));
let browser;
let page;
const problems = [];

before(async () => {
  await seed(BASE);
  browser = await launch();
  page = await browser.newPage({ viewport: { width: 1280, height: 900 } });
  page.on('console', (m) => m.type() === 'error' && problems.push(m.text()));
  page.on('pageerror', (e) => problems.push(e.message));
});

after(async () => {
  await browser?.close();
});

const open = async (hash) => {
  await page.goto(`${BASE}/#/${hash}`);
  await page.waitForLoadState('networkidle');
};
const shot = (name) => page.screenshot({ path: `${SHOTS}${name}.png`, fullPage: true });
const value = async (locator) => (await page.locator(locator).first().getAttribute('data-value')) ?? '';
const text = async (locator) => (await page.locator(locator).first().innerText()).trim();
const near = (a, b, what) => assert.ok(Math.abs(Number(a) - Number(b)) < 1e-9, `${what}: page ${a}, API ${b}`);

test('the overview shows the leaderboard totals and each team as the API counts them', async () => {
  const { agents } = await getJson('/api/v1/analytics/agents');
  const calls = agents.reduce((n, a) => n + a.total_calls, 0);
  const weighted = (k) => agents.reduce((s, a) => s + a[k] * a.total_calls, 0) / calls;
  await open('overview');
  await page.locator('[data-testid=total-calls]').waitFor();
  await page.locator('.nudges, #missed + .state.empty').first().waitFor();
  assert.equal(Number(await value('[data-testid=total-calls]')), calls);
  assert.equal(await text('[data-testid=total-calls]'), f.count(calls));
  near(await value('[data-testid=avg-score]'), weighted('avg_score'), 'average score');
  assert.equal(await text('[data-testid=avg-score]'), f.score(weighted('avg_score')));
  near(await value('[data-testid=avg-sentiment]'), weighted('avg_sentiment'), 'sentiment');
  near(await value('[data-testid=avg-talk-ratio]'), weighted('avg_talk_ratio'), 'talk ratio');
  for (const team of ['east', 'west']) {
    const api = await getJson(`/api/v1/analytics/teams/${team}`);
    const card = page.locator(`[data-team=${team}] dd`);
    assert.equal(Number(await card.nth(0).getAttribute('data-value')), api.totals.total_calls, `team ${team} calls`);
    assert.equal(Number(await card.nth(1).getAttribute('data-value')), api.totals.avg_score, `team ${team} score`);
  }
  // The calls-per-day chart's numbers add up to the total.
  const perDay = await page.locator('#chart-calls td').evaluateAll((cells) => cells.map((c) => Number(c.dataset.value)));
  assert.equal(perDay.reduce((a, b) => a + b, 0), calls);
  await shot('overview');
});

test('the leaderboard lists what the API does, sorts by a column, and filters by team', async () => {
  const { agents } = await getJson('/api/v1/analytics/agents');
  await open('agents');
  await page.locator('table.data tbody tr').first().waitFor();
  const rows = page.locator('table.data tbody tr');
  assert.equal(await rows.count(), agents.length);
  for (const a of agents) {
    const row = rows.filter({ has: page.locator('th', { hasText: new RegExp(`^${a.name}$`) }) });
    assert.equal(Number(await row.locator('[data-col=calls]').getAttribute('data-value')), a.total_calls, `${a.name} calls`);
    assert.equal(Number(await row.locator('[data-col=score]').getAttribute('data-value')), a.avg_score, `${a.name} score`);
    assert.equal(await row.locator('[data-col=sentiment]').innerText(), f.sentiment(a.avg_sentiment));
    assert.equal(await row.locator('[data-col=talk]').innerText(), f.percent(a.avg_talk_ratio));
  }
  await page.getByRole('button', { name: /Avg score/ }).click();
  const scores = await rows.locator('[data-col=score]').evaluateAll((cells) => cells.map((c) => Number(c.dataset.value)));
  assert.deepEqual(scores, [...agents.map((a) => a.avg_score)].sort((x, y) => y - x));
  await shot('agents');

  const east = await getJson('/api/v1/analytics/agents?team_id=east');
  await open('agents?team=east');
  await page.locator('caption', { hasText: 'of team east' }).waitFor();
  const names = await page.locator('table.data tbody th').allInnerTexts();
  assert.deepEqual(names.sort(), east.agents.map((a) => a.name).sort());
});

test("an agent's page shows the agent's totals, charts and nudges", async () => {
  const api = await getJson('/api/v1/analytics/agents/sam.ortiz');
  await open('agents/sam.ortiz');
  await page.locator('[data-testid=total-calls]').waitFor();
  await page.locator('#nudges ~ ol, #nudges ~ .state').first().waitFor();
  await page.locator('#scores ~ figure').waitFor();
  assert.equal(Number(await value('[data-testid=total-calls]')), api.totals.total_calls);
  assert.equal(Number(await value('[data-testid=avg-score]')), api.totals.avg_score);
  assert.equal(await page.locator('figure.chart').count(), 5);
  await shot('agent');
});

test('a call page shows the call, its analysis, transcript, nudges and similar calls as the API has them', async () => {
  const id = 'call-2026-11-01-0001';
  const call = await getJson(`/api/v1/calls/${id}`);
  const recs = await getJson(`/api/v1/calls/${id}/recommendations`);
  await open(`calls/${id}`);
  await page.locator('[data-testid=call-score]').waitFor();
  await page.locator('#similar').waitFor();
  assert.equal(Number(await value('[data-testid=call-score]')), call.score);
  assert.equal(Number(await value('[data-testid=call-sentiment]')), call.customer_sentiment_score);
  assert.equal(Number(await value('[data-testid=call-talk-ratio]')), call.agent_talk_ratio);
  assert.equal(Number(await value('[data-testid=call-questions]')), call.analysis.questions.agent);
  assert.equal(await page.locator('.turn').count(), call.transcript.split('\n').filter((l) => l.trim()).length);
  // The timeline draws every turn of the analysis, and the transcript shows each turn's time.
  assert.ok(call.analysis.turns.length > 0, 'the analysis has turns');
  assert.equal(await page.locator('.timeline rect.turn-bar').count(), call.analysis.turns.length);
  assert.equal(await page.locator('.timeline rect.interval').count(), call.analysis.intervals.length);
  assert.equal(await page.locator('.turn .turn-time').count(), call.analysis.turns.length);
  assert.equal((await page.locator('.turn .turn-time').first().textContent()).trim(), f.clock(call.analysis.turns[0].start_seconds));
  assert.ok((await page.locator('mark.tracker').count()) > 0, 'trackers are marked in the transcript');
  assert.ok((await page.locator('mark.next-step, .tag.next-step').count()) >= call.analysis.next_steps.length);
  assert.equal(await page.locator('.nudges li').count(), recs.coaching_nudges.length);
  assert.equal(await page.locator('.similar li').count(), recs.similar_calls.length);
  // Sentiment per quarter per speaker: the chart's numbers are the API's, agent then customer.
  const quarters = page.locator('figure', { hasText: 'Sentiment per quarter of the call, per speaker' });
  const cells = await quarters.locator('tbody td').evaluateAll((tds) => tds.map((td) => td.dataset.value));
  const expected = [0, 1, 2, 3].flatMap((q) => [
    call.analysis.sentiment.quarters_by_role.agent[q],
    call.analysis.sentiment.quarters_by_role.customer[q],
  ]).map((v) => (v === null ? '' : String(v)));
  assert.deepEqual(cells, expected);
  // What redaction replaced is said per type, as the analysis counts it.
  const redactedRow = await page.locator('tr', { hasText: 'Redacted' }).first().textContent();
  for (const [type, n] of Object.entries(call.analysis.redactions.by_type ?? {})) {
    assert.ok(redactedRow.includes(`${n} × ${type.replace(/_/g, ' ')}`), `${type}: ${redactedRow}`);
  }
  assert.ok(!redactedRow.includes('[object'), redactedRow);
  await shot('call');
  await page.setViewportSize({ width: 390, height: 844 });
  await page.reload();
  await page.locator('[data-testid=call-score]').waitFor();
  const overflow = await page.evaluate(() => document.documentElement.scrollWidth - window.innerWidth);
  assert.ok(overflow <= 1, `the phone layout scrolls sideways by ${overflow}px`);
  await shot('call-phone');
  await page.setViewportSize({ width: 1280, height: 900 });
});

test('list → call → similar call navigation works by links and keyboard', async () => {
  const list = await getJson('/api/v1/calls?limit=25');
  await open('calls');
  await page.locator('table.data tbody tr').first().waitFor();
  assert.equal(Number(await value('[data-testid=calls-total]')), list.total);
  assert.deepEqual(await page.locator('table.data tbody th').allInnerTexts(), list.calls.map((c) => c.call_id));
  await shot('calls');
  if (list.next_cursor) {
    await page.getByRole('link', { name: /Next page/ }).click();
    await page.locator('table.data tbody tr').first().waitFor();
    const second = await getJson(`/api/v1/calls?limit=25&cursor=${encodeURIComponent(list.next_cursor)}`);
    assert.equal(await page.locator('table.data tbody th').first().innerText(), second.calls[0].call_id);
    await page.getByRole('link', { name: /Previous page/ }).click();
    await page.locator(`table.data tbody th >> text=${list.calls[0].call_id}`).waitFor();
  }
  const target = list.calls.find((c) => c.call_id === 'call-2026-11-01-0002') || list.calls[0];
  await page.getByRole('link', { name: target.call_id, exact: true }).first().focus();
  await page.keyboard.press('Enter');
  await page.locator('h1', { hasText: `Call ${target.call_id}` }).waitFor();
  const similar = (await getJson(`/api/v1/calls/${target.call_id}/recommendations`)).similar_calls;
  assert.ok(similar.length > 0, 'the seeded call has similar calls');
  await page.locator('.similar a').first().click();
  await page.locator('h1', { hasText: `Call ${similar[0].call_id}` }).waitFor();
  assert.ok(page.url().endsWith(`#/calls/${similar[0].call_id}`));
});

test('an uploaded file reaches PROCESSED and links to its call; a bad one shows the API reason', async () => {
  await open('upload');
  await page.fill('input[name=agent_id]', 'ben.okafor');
  await page.setInputFiles('input[type=file]', [
    // A bare Contact Lens file: the page wraps it in a call document with the form's details.
    `${samples}contact_lens_words.json`,
  ]);
  await page.setInputFiles('input[type=file]', [
    ...['backwards_times.json', 'not_json.txt'].map((name) => ({ name, mimeType: 'application/json', buffer: readFileSync(`${samples}invalid/${name}`) })),
  ]);
  await page.locator('[data-file="contact_lens_words.json"][data-status=PROCESSED] a').waitFor({ timeout: 60_000 });
  for (const bad of ['backwards_times.json', 'not_json.txt']) {
    const reply = await fetch(`${BASE}/api/v1/calls`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: readFileSync(`${samples}invalid/${bad}`),
    });
    assert.ok(reply.status >= 400 && reply.status < 500, `${bad}: ${reply.status}`);
    const { detail } = await reply.json();
    const msg = Array.isArray(detail) ? detail[0].msg : detail;
    const shown = await text(`[data-file="${bad}"][data-status=rejected]`);
    assert.ok(shown.includes(msg), `${bad}: page says ${JSON.stringify(shown)}, API says ${JSON.stringify(msg)}`);
  }
  await shot('upload');
  await page.locator('[data-file="contact_lens_words.json"] a').click();
  await page.locator('[data-testid=call-score]').waitFor();
  assert.match(await text('.lead'), /^ben\.okafor with customer prospect/);
});

test('a file larger than a request may carry goes to S3 presigned and still reaches PROCESSED', async () => {
  await open('upload');
  // A call document past the API's 3 MB request limit (a sample call, padded with the
  // whitespace JSON allows): the page asks POST /api/v1/uploads for a presigned PUT instead.
  const doc = JSON.parse(readFileSync(`${samples}callscope_discovery.json`, 'utf8'));
  doc.call_id = `ui-large-${Date.now().toString(36)}`;
  const body = JSON.stringify(doc, null, 2) + ' '.repeat(3_100_000);
  const uploads = [];
  page.on('request', (r) => r.url().endsWith('/api/v1/uploads') && uploads.push(r.method()));
  await page.setInputFiles('input[type=file]', [{ name: 'large.json', mimeType: 'application/json', buffer: Buffer.from(body) }]);
  await page.locator('[data-file="large.json"][data-status=PROCESSED] a').waitFor({ timeout: 90_000 });
  assert.deepEqual(uploads, ['POST'], 'one presigned upload asked for');
  const call = await getJson(`/api/v1/calls/${doc.call_id}`);
  assert.equal(call.status, 'PROCESSED');
});

test('the pipeline counts the calls by status as the list has them', async () => {
  const calls = [];
  let cursor = '';
  do {
    const page_ = await getJson(`/api/v1/calls?limit=100${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
    calls.push(...page_.calls);
    cursor = page_.next_cursor;
  } while (cursor);
  await open('pipeline');
  await page.locator('[data-testid=pipeline-total]').waitFor();
  assert.equal(Number(await value('[data-testid=pipeline-total]')), calls.length);
  assert.equal(Number(await value('[data-testid=pipeline-processed]')), calls.filter((c) => c.status === 'PROCESSED').length);
  assert.equal(Number(await value('[data-testid=pipeline-failed]')), calls.filter((c) => c.status === 'FAILED').length);
  await shot('pipeline');
});

test('the pipeline lists the webhook deliveries parked as the API has them, with why', async () => {
  // The seed set an endpoint but no signing secret: each CallAnalysed delivery is parked once outbound and the webhooks function have run.
  let parked;
  for (const until = Date.now() + 60_000; ; await new Promise((r) => setTimeout(r, 1000))) {
    parked = await getJson('/api/v1/webhooks/parked');
    if (parked.parked.length > 0 || Date.now() > until) break;
  }
  assert.ok(parked.parked.length > 0, 'the seed parks deliveries');
  await open('pipeline');
  await page.locator('[data-testid=webhooks-parked]').waitFor();
  const shown = Number(await value('[data-testid=webhooks-parked]'));
  assert.ok(shown >= parked.parked.length, `${shown} shown, ${parked.parked.length} parked before`);
  // Grouped by why: here one reason, every parked delivery in it.
  const groups = page.locator('[data-testid=webhook-parked]');
  assert.equal(await groups.count(), new Set(parked.parked.map((w) => w.reason)).size);
  assert.equal(Number(await groups.first().getAttribute('data-value')), shown);
  assert.match(await groups.first().innerText(), /\(CallAnalysed, the newest parked .+ after 1 attempt\): .*no webhook signing secret[^]*Calls: \S+/);
});

test('the settings page saves a tracker rule and agent names, and shows the API refusing a scorecard that does not add up', async () => {
  const before = await getJson('/api/v1/settings');
  await open('settings');
  await page.locator('[data-testid=settings-version]').waitFor();
  assert.equal(Number(await text('[data-testid=settings-version]')), before.version);
  await page.getByRole('button', { name: 'Add a rule' }).click();
  const rule = page.locator('[data-testid=rules] tbody tr').last();
  await rule.getByLabel('Name').fill('ui.zephyr');
  await rule.getByLabel('Phrases (comma-separated)').fill('zephyr plan, zephyr');
  await page.getByTestId('save-trackers').click();
  await page.getByTestId('saved-trackers').waitFor();
  const trackers = await getJson('/api/v1/settings/trackers');
  assert.equal(trackers.version, before.version + 1);
  assert.equal(Number(await text('[data-testid=settings-version]')), trackers.version);
  assert.deepEqual(trackers.value.rules.find((r) => r.name === 'ui.zephyr').phrases, ['zephyr plan', 'zephyr']);
  // Weights that add up to 60: the API's 422 names the field and nothing is stored.
  await page.getByRole('button', { name: 'Add a criterion' }).click();
  const criterion = page.locator('[data-testid=criteria] tbody tr').last();
  await criterion.getByLabel('Weight').fill('60');
  await criterion.getByLabel('Min').fill('3');
  await page.getByTestId('save-scorecard').click();
  assert.match(await page.getByTestId('error-scorecard').innerText(), /^criteria: the weights must sum to 100/);
  assert.equal((await getJson('/api/v1/settings')).version, trackers.version, 'the refused scorecard stored nothing');
  // A display name: the leaderboard answers it and the agents page shows it.
  const { agents } = await getJson('/api/v1/analytics/agents');
  const agentId = agents[0].agent_id;
  await page.getByRole('button', { name: 'Add an agent' }).click();
  const agent = page.locator('[data-testid=agents] tbody tr').last();
  await agent.getByLabel('Agent id').fill(agentId);
  await agent.getByLabel('Display name').fill('Named In Settings');
  await page.getByTestId('save-agents').click();
  await page.getByTestId('saved-agents').waitFor();
  await shot('settings');
  const named = await getJson('/api/v1/analytics/agents');
  assert.equal(named.agents.find((a) => a.agent_id === agentId).name, 'Named In Settings');
  await open('agents');
  await page.locator('table.data tbody th', { hasText: 'Named In Settings' }).waitFor();
});

test('the settings page saves an alert rule and shows the API refusing one out of range', async () => {
  await open('settings');
  await page.locator('[data-testid=settings-version]').waitFor();
  await page.getByRole('button', { name: 'Add an alert rule' }).click();
  const rule = page.locator('[data-testid=alerts] tbody tr').last();
  await rule.getByLabel('Rule id').fill('ui-low');
  await rule.getByLabel('Rule name').fill('Score under 101');
  await rule.getByLabel('Value').fill('101');
  await page.getByTestId('save-alerts').click();
  assert.match(await page.getByTestId('error-alerts').innerText(), /^rules\.\d+\.condition\.score: must be 1–100/);
  await rule.getByLabel('Value').fill('40');
  await rule.getByLabel('When').selectOption('interruptions_at_least');
  await rule.getByLabel('Interrupted by').selectOption('any');
  await page.getByTestId('save-alerts').click();
  await page.getByTestId('saved-alerts').waitFor();
  const alerts = await getJson('/api/v1/settings/alerts');
  assert.deepEqual(alerts.value.rules.find((r) => r.id === 'ui-low'), {
    id: 'ui-low', name: 'Score under 101', enabled: true,
    condition: { kind: 'interruptions_at_least', count: 40, by: 'any' },
  });
  assert.equal(Number(await text('[data-testid=settings-version]')), alerts.version);
});

/** POSTs a small call; resolves once the API has it PROCESSED. */
async function processedCall(callId, customerId, startTime = '2026-11-03T10:00:00Z') {
  const posted = await fetch(`${BASE}/api/v1/calls`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      call_id: callId, agent_id: 'ui-lifecycle', customer_id: customerId, start_time: startTime,
      transcript: 'Agent: Hello, what made you take this meeting?\nCustomer: Our reviews take too long. Can you help?',
    }),
  });
  assert.equal(posted.status, 202);
  let call = null;
  for (const started = Date.now(); Date.now() - started < 60000; await new Promise((r) => setTimeout(r, 300))) {
    call = await getJson(`/api/v1/calls/${callId}`).catch(() => null);
    if (call?.status === 'PROCESSED') return call;
  }
  throw new Error(`${callId} not PROCESSED within a minute: ${JSON.stringify(call)}`);
}

test('a call is re-analysed from its page and the page shows the new analysis', async () => {
  const callId = `ui-reanalyse-${Date.now()}`;
  const before = await processedCall(callId, 'cust-reanalyse');
  await open(`calls/${callId}`);
  await page.locator('[data-testid=reanalyse]').click();
  // The notice comes once the call reads as processed again: the reanalyse queue was drained.
  await page.locator('[data-testid=reanalysed]').waitFor({ timeout: 60000 });
  assert.match(await text('[data-testid=reanalysed]'), /^Re-analysed \(revision 1\)\.$/);
  const after = await getJson(`/api/v1/calls/${callId}`);
  assert.equal(after.status, 'PROCESSED');
  assert.ok(after.updated_at > before.updated_at, `processed again: ${before.updated_at} → ${after.updated_at}`);
  assert.equal(await value('[data-testid=call-score]'), String(after.score));
});

test('the settings page re-analyses the calls of a range, and only those', async () => {
  // Days no other test sends calls on.
  const stamp = Date.now();
  const inRange = [
    await processedCall(`ui-range-${stamp}-a`, 'cust-range', '2025-03-10T09:00:00Z'),
    await processedCall(`ui-range-${stamp}-b`, 'cust-range', '2025-03-11T16:00:00Z'),
  ];
  const outside = await processedCall(`ui-range-${stamp}-c`, 'cust-range', '2025-03-14T09:00:00Z');
  await open('settings');
  await page.getByTestId('reanalyse-from').fill('2025-03-10');
  await page.getByTestId('reanalyse-to').fill('2025-03-11');
  await page.getByTestId('reanalyse-calls').click();
  const progress = page.locator('[data-testid=reanalyse-progress][data-status=done]');
  await progress.waitFor({ timeout: 60000 });
  assert.equal(await progress.getAttribute('data-queued'), '2');
  assert.equal(await progress.getAttribute('data-skipped'), '0');
  // Each call of the range is processed again (the reanalyse queue drained); the third is not.
  for (const before of inRange) {
    let after = before;
    for (const started = Date.now(); Date.now() - started < 60000 && after.updated_at === before.updated_at; ) {
      await new Promise((r) => setTimeout(r, 300));
      after = await getJson(`/api/v1/calls/${before.call_id}`);
    }
    assert.ok(after.updated_at > before.updated_at, `${before.call_id} analysed again`);
  }
  assert.equal((await getJson(`/api/v1/calls/${outside.call_id}`)).updated_at, outside.updated_at, 'outside the range: untouched');
});

test("every call of a customer is erased from the settings page after the dialog is confirmed", async () => {
  const customer = `ui-subject-${Date.now()}`;
  const theirs = [`${customer}-a`, `${customer}-b`];
  const other = `${customer}-other`;
  for (const id of theirs) await processedCall(id, customer);
  await processedCall(other, 'cust-stays');
  await open('settings');
  await page.getByTestId('erase-customer-id').fill(customer);
  await page.getByTestId('erase-customer').click();
  const dialog = page.getByTestId('erase-customer-dialog');
  await dialog.waitFor({ state: 'visible' });
  assert.match(await dialog.innerText(), new RegExp(`${customer}[\\s\\S]*cannot be undone`));
  await page.getByTestId('erase-customer-confirm').click();
  const progress = page.locator('[data-testid=erase-customer-progress][data-status=done]');
  await progress.waitFor({ timeout: 60000 });
  await shot('settings-erase-customer');
  assert.equal(await progress.getAttribute('data-erased'), '2');
  assert.match(await progress.innerText(), new RegExp(`^Done: 2 calls of ${customer} erased\\.$`));
  // Each erased call is gone within the freshness bound; the other customer's call stays.
  for (const id of theirs) {
    let status = 200;
    for (const started = Date.now(); Date.now() - started < 5000; await new Promise((r) => setTimeout(r, 200))) {
      status = (await fetch(`${BASE}/api/v1/calls/${id}`)).status;
      if (status === 404) break;
    }
    assert.equal(status, 404, `${id} erased`);
  }
  assert.equal((await fetch(`${BASE}/api/v1/calls/${other}`)).status, 200, 'another customer\'s call stays');
});

test('a call is deleted from its page only after the dialog is confirmed', async () => {
  const callId = `ui-erase-${Date.now()}`;
  const posted = await fetch(`${BASE}/api/v1/calls`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({
      call_id: callId, agent_id: 'ui-eraser', customer_id: 'cust-erase', start_time: '2026-11-03T09:00:00Z',
      transcript: 'Agent: Hello, how can I help?\nCustomer: Please delete this call afterwards.',
    }),
  });
  assert.equal(posted.status, 202);
  await open(`calls/${callId}`);
  await page.locator('[data-testid=delete-call]').click();
  const dialog = page.locator('[data-testid=delete-dialog]');
  await dialog.waitFor({ state: 'visible' });
  assert.match(await dialog.innerText(), /cannot be undone/);
  await shot('call-delete-dialog');
  await page.locator('[data-testid=delete-cancel]').click();
  await dialog.waitFor({ state: 'hidden' });
  assert.equal((await fetch(`${BASE}/api/v1/calls/${callId}`)).status, 200, 'cancelled: still there');
  await page.locator('[data-testid=delete-call]').click();
  await page.locator('[data-testid=delete-confirm]').click();
  await page.locator('[data-testid=erased-notice]').waitFor();
  assert.match(await text('[data-testid=erased-notice]'), new RegExp(callId));
  // Gone once the erasure's stream record reaches the cache's invalidation (docs/api.md#freshness:
  // under a second; a cached copy may answer until then), so read until the bound has passed.
  let status = 200;
  for (const started = Date.now(); Date.now() - started < 5000; await new Promise((r) => setTimeout(r, 200))) {
    status = (await fetch(`${BASE}/api/v1/calls/${callId}`)).status;
    if (status === 404) break;
  }
  assert.equal(status, 404, 'deleted: gone from the API within the freshness bound');
});

test('the keyboard reaches the skip link and the pages first, and nothing broke in the console', async () => {
  await page.goto('about:blank');
  await open('overview');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Skip to the page');
  await page.keyboard.press('Tab');
  assert.equal(await page.evaluate(() => document.activeElement.textContent), 'Overview');
  // The rejected uploads' 4xx answers are logged by the browser; anything else is a fault.
  assert.deepEqual(problems.filter((p) => !/status of 4\d\d/.test(p)), []);
});
