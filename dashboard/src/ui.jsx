// Pieces every page uses: loading/error/empty states, the date range, a chart, hash links.
import { useEffect, useRef, useState } from 'preact/hooks';
import uPlot from 'uplot';

/** Runs `load` when `deps` change: {data, error, loading}. */
export function useLoad(load, deps) {
  const key = JSON.stringify(deps);
  const [state, setState] = useState({ key, loading: true });
  useEffect(() => {
    let live = true;
    setState({ key, loading: true });
    load().then(
      (data) => live && setState({ key, data }),
      (error) => live && setState({ key, error }),
    );
    return () => {
      live = false;
    };
  }, deps);
  // Until the effect runs, an answer for other deps is not this one's (no stale data under new filters).
  return state.key === key ? state : { key, loading: true };
}

/** The three states a panel can be in before it has something to show. */
export function Loaded({ state, what, children, tall }) {
  // `tall`: the space the content will take, held while it loads so nothing below it jumps.
  if (state.loading)
    return (
      <p class="state" role="status" style={tall ? { minHeight: tall } : undefined}>
        Loading {what}…
      </p>
    );
  if (state.error) return <p class="state error" role="alert">Could not load {what}: {state.error.message}</p>;
  return children(state.data);
}

export const Empty = ({ children }) => <p class="state empty">{children}</p>;

/**
 * The confirmation a destructive action asks for: a modal `<dialog>` (opened by the caller
 * through `dialogRef`) that says what goes, with Cancel and the action. `testid` names the
 * dialog and, with -cancel / -confirm, its two buttons.
 */
export function ConfirmDialog({ dialogRef, testid, title, action, busyAction, busy, onConfirm, children }) {
  return (
    <dialog ref={dialogRef} aria-labelledby={`${testid}-title`} data-testid={`${testid}-dialog`}>
      <h2 id={`${testid}-title`}>{title}</h2>
      {children}
      <form method="dialog" class="actions">
        <button type="submit" data-testid={`${testid}-cancel`} disabled={busy}>
          Cancel
        </button>
        <button type="button" class="danger" data-testid={`${testid}-confirm`} disabled={busy} onClick={onConfirm}>
          {busy ? busyAction : action}
        </button>
      </form>
    </dialog>
  );
}

/** `#/path?query` → {path: ['calls', 'id'], query: URLSearchParams}. */
export function route() {
  const [path, q] = location.hash.replace(/^#\/?/, '').split('?');
  return { path: path.split('/').filter(Boolean).map(decodeURIComponent), query: new URLSearchParams(q || '') };
}

export const href = (path, params) => {
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(params || {})) if (v) q.set(k, v);
  const s = q.toString();
  return `#/${path}${s ? `?${s}` : ''}`;
};

export const go = (path, params) => {
  location.hash = href(path, params);
};

/** The date range of the analytics pages, kept in the URL. */
export function RangeForm({ path, query, extra }) {
  const submit = (e) => {
    e.preventDefault();
    const form = new FormData(e.currentTarget);
    go(path, Object.fromEntries(form.entries()));
  };
  return (
    <form class="filters" onSubmit={submit} aria-label="Date range">
      <label>
        From <input type="date" name="from" value={query.get('from') || ''} />
      </label>
      <label>
        To <input type="date" name="to" value={query.get('to') || ''} />
      </label>
      {extra}
      <button type="submit">Show</button>
    </form>
  );
}

export const rangeOf = (query) => ({ from_date: query.get('from') || undefined, to_date: query.get('to') || undefined });
export const rangeText = (query) =>
  query.get('from') || query.get('to') ? `${query.get('from') || 'the first call'} to ${query.get('to') || 'today'}` : 'all time';

const PALETTE = ['#1f5fbf', '#b3261e', '#2e7d32', '#6a3fa0', '#b35c00'];
const dayTime = (day) => Date.parse(`${day}T00:00:00Z`) / 1000;

/**
 * A uPlot chart with its numbers in a table beneath (for screen readers, and for anyone who
 * wants the figures). `x`: days (YYYY-MM-DD) or numbers; `series`: [{label, values}].
 */
/** Every day from the first to the last (at most a year): days without calls are gaps, not slopes. */
function densify(x, series, bars) {
  if (x.length < 2 || typeof x[0] !== 'string') return [x, series];
  const first = dayTime(x[0]);
  const span = Math.round((dayTime(x[x.length - 1]) - first) / 86400);
  if (span > 366 || span < x.length) return [x, series];
  const all = Array.from({ length: span + 1 }, (_, i) => new Date((first + i * 86400) * 1000).toISOString().slice(0, 10));
  const at = new Map(x.map((d, i) => [d, i]));
  const fill = bars ? 0 : null;
  return [all, series.map((s) => ({ ...s, values: all.map((d) => (at.has(d) ? s.values[at.get(d)] : fill)) }))];
}

export function Chart({ title, x: givenX, series: givenSeries, bars, integer, format = (v) => v, xLabel = 'Day', xFormat, id }) {
  const box = useRef(null);
  const days = typeof givenX[0] === 'string';
  const [plotX, plotSeries] = densify(givenX, givenSeries, bars);
  const x = givenX;
  const series = givenSeries;
  useEffect(() => {
    if (!box.current || x.length === 0) return undefined;
    const width = () => Math.max(260, box.current.clientWidth);
    const xs = days ? plotX.map(dayTime) : plotX;
    const steps = xs.slice(1).map((v, i) => v - xs[i]);
    const pad = (steps.length ? Math.min(...steps) : days ? 86400 : 1) / 2;
    const data = [xs, ...plotSeries.map((s) => s.values)];
    const opts = {
      width: width(),
      height: 200,
      scales: bars
        ? {
            // Bars start at zero and keep their outer halves inside the plot.
            x: { time: days, range: (u, min, max) => [min - pad, max + pad] },
            y: { range: (u, min, max) => [Math.min(0, min), max > 0 ? max * 1.1 : 1] },
          }
        : { x: { time: days } },
      legend: { show: series.length > 1, live: false },
      axes: [
        days
          ? { stroke: '#333', grid: { stroke: '#eee' } }
          : // A tick per point while they fit; uPlot's own ticks beyond (a call's turns).
            { stroke: '#333', grid: { stroke: '#eee' }, splits: x.length <= 12 ? () => x : undefined, values: (u, ticks) => ticks.map((t) => (xFormat ? xFormat(t) : t)) },
         {
          stroke: '#333',
          grid: { stroke: '#eee' },
          values: (u, ticks) => ticks.map(format),
          // Counts tick at whole numbers only.
          ...(integer ? { incrs: [1, 2, 5, 10, 20, 50, 100, 200, 500, 1000, 2000, 5000, 10000] } : {}),
        },
      ],
      series: [
        {},
        ...series.map((s, i) => ({
          label: s.label,
          stroke: PALETTE[i % PALETTE.length],
          fill: bars ? `${PALETTE[i % PALETTE.length]}55` : undefined,
          width: 2,
          points: { show: !bars && plotX.length < 40 },
          // Two series of bars stand side by side in each slot, not on top of each other.
          paths: bars
            ? uPlot.paths.bars(series.length === 2 ? { size: [0.35, 30], align: i === 0 ? -1 : 1 } : { size: [0.7, 60] })
            : undefined,
          value: (u, v) => (v === null || v === undefined ? '—' : format(v)),
        })),
      ],
    };

    const plot = new uPlot(opts, data, box.current);
    const watch = new ResizeObserver(() => plot.setSize({ width: width(), height: 200 }));
    watch.observe(box.current);
    return () => {
      watch.disconnect();
      plot.destroy();
    };
  }, [JSON.stringify([x, series.map((s) => s.values)])]);
  if (x.length === 0) return <Empty>No {title.toLowerCase()} in this range.</Empty>;
  return (
    <figure class="chart" id={id}>
      <figcaption>{title}</figcaption>
      <div ref={box} class="plot" role="img" aria-label={`${title}: chart of ${x.length} points; the numbers are in the table below`} />
      <details>
        <summary>The numbers</summary>
        <table>
          <thead>
            <tr>
              <th scope="col">{xLabel}</th>
              {series.map((s) => (
                <th scope="col">{s.label}</th>
              ))}
            </tr>
          </thead>
          <tbody>
            {x.map((v, i) => (
              <tr>
                <th scope="row">{xFormat ? xFormat(v) : v}</th>
                {series.map((s) => (
                  <td data-value={s.values[i] ?? ''}>{s.values[i] === null || s.values[i] === undefined ? '—' : format(s.values[i])}</td>
                ))}
              </tr>
            ))}
          </tbody>
        </table>
      </details>
    </figure>
  );
}

/** A row of headline figures; each keeps the API's raw value in data-value. */
export const Figures = ({ items }) => (
  <dl class="figures">
    {items.map(([name, value, text, testId]) => (
      <div>
        <dt>{name}</dt>
        <dd data-value={value ?? ''} data-testid={testId}>
          {text}
        </dd>
      </div>
    ))}
  </dl>
);

/** A table sorted by a column the reader picks (click or Enter on its header button). */
export function SortTable({ columns, rows, initial, caption }) {
  const [sort, setSort] = useState(initial);
  const col = columns.find((c) => c.key === sort.key) || columns[0];
  const sorted = [...rows].sort((a, b) => {
    const av = col.value(a);
    const bv = col.value(b);
    const cmp = av === bv ? 0 : av === null || av === undefined ? 1 : bv === null || bv === undefined ? -1 : av < bv ? -1 : 1;
    return sort.desc ? -cmp : cmp;
  });
  return (
    <div class="scroll">
      <table class="data">
        <caption>{caption}</caption>
        <thead>
          <tr>
            {columns.map((c) => (
              <th scope="col" aria-sort={c.key === sort.key ? (sort.desc ? 'descending' : 'ascending') : 'none'}>
                <button type="button" class="sort" onClick={() => setSort({ key: c.key, desc: c.key === sort.key ? !sort.desc : true })}>
                  {c.label}
                  <span aria-hidden="true">{c.key === sort.key ? (sort.desc ? ' ▼' : ' ▲') : ''}</span>
                </button>
              </th>
            ))}
          </tr>
        </thead>
        <tbody>
          {sorted.map((r) => (
            <tr>
              {columns.map((c, i) =>
                i === 0 ? (
                  <th scope="row">{c.render ? c.render(r) : c.value(r)}</th>
                ) : (
                  <td data-value={c.value(r) ?? ''} data-col={c.key}>
                    {c.render ? c.render(r) : c.value(r)}
                  </td>
                ),
              )}
            </tr>
          ))}
        </tbody>
      </table>
    </div>
  );
}
