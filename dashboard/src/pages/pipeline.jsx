// Pipeline: the tenant's calls received, processed and failed (each failure with its reason),
// and what is still waiting. The API has no status filter or summary yet, so this pages through
// the newest calls (up to MAX) and counts them here.
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
  return { total, seen: calls.length, received: by('RECEIVED'), processed: by('PROCESSED'), failed: by('FAILED') };
}

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
