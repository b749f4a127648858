// Lighthouse on the overview and a call page, in Debian's Chromium, against CALLSCOPE_UI_BASE
// (a seeded local serve; nothing leaves the machine). Writes target/ui/lighthouse-*.html|json,
// prints the scores, and fails when performance, accessibility or best practices is under 90.
import { writeFileSync } from 'node:fs';
import lighthouse from 'lighthouse';
import { BASE, SHOTS, launch } from './browser.mjs';

const PAGES = [
  ['overview', '/#/overview'],
  ['call', '/#/calls/call-2026-11-01-0001'],
];
const CATEGORIES = ['performance', 'accessibility', 'best-practices'];
const PORT = 9333;

const browser = await launch({ port: PORT });
let failed = false;
try {
  // One visit first, so the API answers from its Redis cache as a deployed one mostly does: the
  // local emulator's cold reads (hundreds of ms each) would otherwise be taken for this origin's
  // server latency and slow every simulated request, the page's own files included.
  const warm = await browser.newPage();
  for (const [, path] of PAGES) {
    await warm.goto(BASE + path);
    await warm.waitForLoadState('networkidle');
  }
  await warm.close();
  for (const [name, path] of PAGES) {
    const result = await lighthouse(BASE + path, {
      port: PORT,
      output: ['html', 'json'],
      onlyCategories: CATEGORIES,
      logLevel: 'error',
    });
    writeFileSync(`${SHOTS}lighthouse-${name}.html`, result.report[0]);
    writeFileSync(`${SHOTS}lighthouse-${name}.json`, result.report[1]);
    const scores = CATEGORIES.map((c) => [c, Math.round(result.lhr.categories[c].score * 100)]);
    console.log(`${name} (${path}): ${scores.map(([c, s]) => `${c} ${s}`).join(', ')}`);
    for (const [c, s] of scores) {
      if (s < 90) {
        failed = true;
        const misses = Object.values(result.lhr.audits)
          .filter((a) => a.score !== null && a.score < 0.9 && result.lhr.categories[c].auditRefs.some((r) => r.id === a.id && r.weight > 0))
          .map((a) => `  - ${a.id}: ${a.title} (${a.displayValue || a.score})`);
        console.log(`${name}: ${c} ${s} < 90\n${misses.join('\n')}`);
      }
    }
  }
} finally {
  await browser.close();
}
process.exit(failed ? 1 : 0);
