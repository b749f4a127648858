// The headless Chromium the UI tests and Lighthouse drive: Debian's /usr/bin/chromium (installed
// by `infra/local-cloud.sh browser`), never a downloaded one.
import { mkdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

export const CHROMIUM = process.env.CHROME_PATH || '/usr/bin/chromium';
export const BASE = (process.env.CALLSCOPE_UI_BASE || 'http://127.0.0.1:3000').replace(/\/$/, '');
export const SHOTS = fileURLToPath(new URL('../../target/ui/', import.meta.url));
mkdirSync(SHOTS, { recursive: true });

/** Chromium headless; with `port`, its DevTools endpoint open there too (for Lighthouse). */
export const launch = ({ port } = {}) =>
  chromium.launch({
    executablePath: CHROMIUM,
    args: ['--no-sandbox', '--disable-dev-shm-usage', ...(port ? [`--remote-debugging-port=${port}`] : [])],
  });

export async function getJson(path) {
  const reply = await fetch(BASE + path);
  if (!reply.ok) throw new Error(`GET ${path}: ${reply.status}`);
  return reply.json();
}
