// How numbers read on every page (the browser tests format the API's JSON the same way).
export const num = (v, digits = 1) => (v === null || v === undefined ? '—' : Number(v).toFixed(digits));
export const score = (v) => num(v, 1);
export const sentiment = (v) => (v === null || v === undefined ? '—' : (v > 0 ? '+' : '') + Number(v).toFixed(2));
export const percent = (v) => (v === null || v === undefined ? '—' : `${Math.round(v * 100)}%`);
export const count = (v) => (v === null || v === undefined ? '—' : Number(v).toLocaleString('en-US'));
export const seconds = (v) => {
  if (v === null || v === undefined) return '—';
  const s = Math.round(v);
  return s >= 60 ? `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, '0')}s` : `${s}s`;
};
export const clock = (v) => `${Math.floor(v / 60)}:${String(Math.floor(v % 60)).padStart(2, '0')}`;
export const when = (iso) => (iso ? iso.replace('T', ' ').replace(/:\d\d(\.\d+)?Z$/, ' UTC') : '—');
export const label = (s) => (s ? s.replace(/[_.]/g, ' ') : '—');
