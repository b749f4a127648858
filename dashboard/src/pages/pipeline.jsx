// Pipeline: the tenant's calls received, processed and failed (each failure with its reason),
// what is still waiting, and the webhook deliveries that were not made (with the receiver's
// answer). The API has no status filter or summary yet, so this pages through the newest calls
// (up to MAX) and counts them here.
import { api } from '../api.js';
import * as f from '../format.js';
import { Empty, Figures, Loaded, href, useLoad } from '../ui.jsx';

const MAX = 500;

async function loadPipeline() {
  const calls = [];
  let cursor;
  let total = 0;
  do {
    const page = await api.calls({ limit: 100, cursor });
    calls.push(...page.calls);
    total = page.total;
    cursor = page.next_cursor;
  } while (cursor && calls.length < MAX);
  const by = (s) => calls.filter((c) => c.status === s);
  const webhooks = await api.parkedDeliveries();
  return { total, seen: calls.length, received: by('RECEIVED'), processed: by('PROCESSED'), failed: by('FAILED'), webhooks };
}

/** Parked deliveries grouped by why (the newest first within each), the largest group first. */
function byReason(parked) {
  const groups = new Map();
  for (const w of parked) groups.set(w.reason, [...(groups.get(w.reason) || []), w]);
  return [...groups.entries()].sort((a, b) => b[1].length - a[1].length);
}

const kinds = (ws) => [...new Set(ws.map((w) => w.kind))].join(', ');

/** Calls named per reason; the rest are counted. */
const SHOWN_CALLS = 5;

const age = (iso) => f.seconds((Date.now() - Date.parse(iso)) / 1000);

const List = ({ calls, detail }) => (
  <ul class="plain">
    {calls.map((c) => (
      <li>
        <a href={href(`calls/${c.call_id}`)}>{c.call_id}</a> ({c.agent_id}, received {f.when(c.created_at)}): {detail(c)}
      </li>
    ))}
  </ul>
);

export function Pipeline() {
  const state = useLoad(loadPipeline, []);
  return (
    <>
      <h1>Pipeline</h1>
      <Loaded state={state} what="the pipeline">
        {(d) => (
          <>
            <p class="lead">
              {d.seen < d.total ? `The newest ${d.seen} of ${d.total} calls.` : `All ${d.total} calls.`} Calls are analysed seconds after they arrive; one waiting for minutes is stuck.
            </p>
            <Figures
              items={[
                ['Received', d.total, f.count(d.total), 'pipeline-total'],
                ['Processed', d.processed.length, f.count(d.processed.length), 'pipeline-processed'],
                ['Failed', d.failed.length, f.count(d.failed.length), 'pipeline-failed'],
                ['Waiting', d.received.length, f.count(d.received.length), 'pipeline-waiting'],
              ]}
            />
            <section aria-labelledby="failed">
              <h2 id="failed">Failed</h2>
              {d.failed.length === 0 ? <Empty>No call failed.</Empty> : <List calls={d.failed} detail={(c) => c.failure_reason || 'no reason recorded'} />}
            </section>
            <section aria-labelledby="webhooks">
              <h2 id="webhooks">Webhook deliveries not made</h2>
              {d.webhooks.parked.length === 0 ? (
                <Empty>Every webhook delivery was made (or none is set up).</Empty>
              ) : (
                <>
                  <p data-testid="webhooks-parked" data-value={d.webhooks.parked.length}>
                    {d.webhooks.more ? `The newest ${d.webhooks.parked.length} of more` : f.count(d.webhooks.parked.length)} parked after their last attempt. Fix the endpoint or the secret on the settings page, then ask an operator to redrive them
                    (<code>callscope webhooks redrive</code>); each leaves this list once delivered, or after 14 days.
                  </p>
                  <ul class="plain">
                    {byReason(d.webhooks.parked).map(([reason, ws]) => (
                      <li data-testid="webhook-parked" data-value={ws.length}>
                        <strong>{f.count(ws.length)}</strong> ({kinds(ws)}, the newest parked {f.when(ws[0].parked_at)} after{' '}
                        {ws[0].attempts === 1 ? '1 attempt' : `${ws[0].attempts} attempts`}): {reason}
                        <br />
                        Calls:{' '}
                        {ws.slice(0, SHOWN_CALLS).map((w, i) => (
                          <>
                            {i > 0 && ', '}
                            {w.call_id ? <a href={href(`calls/${w.call_id}`)}>{w.call_id}</a> : w.event_id}
                          </>
                        ))}
                        {ws.length > SHOWN_CALLS && ` and ${f.count(ws.length - SHOWN_CALLS)} more`}
                      </li>
                    ))}
                  </ul>
                </>
              )}
            </section>
            <section aria-labelledby="waiting">
              <h2 id="waiting">Waiting to be analysed</h2>
              {d.received.length === 0 ? <Empty>Nothing is waiting.</Empty> : <List calls={d.received} detail={(c) => `waiting for ${age(c.created_at)}`} />}
            </section>
          </>
        )}
      </Loaded>
    </>
  );
}
