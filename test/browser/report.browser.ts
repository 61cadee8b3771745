import { existsSync, mkdtempSync, mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { chromium } from 'playwright-core';
import { describe, expect, it } from 'vitest';
import { renderPicture } from '../../lib/report/html.js';
import { rehearsalPicture } from '../../local/report.js';
import { loadScenario, rehearse } from '../support/rehearse.js';

/**
 * npm run test:browser: the report page rendered in headless Chromium (Debian's `chromium`, never a downloaded
 * browser; CHROMIUM overrides the path). Every row and bar is drawn, nothing is fetched, the console stays clean, and
 * the screenshot README shows is taken here (docs/images/report.png).
 */
const executablePath = process.env.CHROMIUM ?? '/usr/bin/chromium';

describe('the report page in Chromium', () => {
  it('draws a row per variant and node group, no request, no console error, and saves the screenshot', async () => {
    expect(existsSync(executablePath), `${executablePath} is missing: apt-get install -y chromium (or set CHROMIUM)`).toBe(true);
    const scenario = loadScenario('local/scenarios/canary-failure.yml');
    const report = await rehearse(scenario);
    const picture = await rehearsalPicture(report, { title: 'Patch run rehearsal: local/scenarios/canary-failure.yml' });
    const file = join(mkdtempSync(join(tmpdir(), 'report-')), 'report.html');
    writeFileSync(file, renderPicture(picture));

    const browser = await chromium.launch({ executablePath, headless: true, args: ['--no-sandbox'] });
    try {
      const page = await browser.newPage({ viewport: { width: 1400, height: 600 } });
      const problems: string[] = [];
      const requests: string[] = [];
      page.on('console', (m) => {
        if (m.type() === 'error' || m.type() === 'warning') problems.push(`${m.type()}: ${m.text()}`);
      });
      page.on('pageerror', (e) => problems.push(`pageerror: ${e.message}`));
      page.on('request', (r) => {
        if (!r.url().startsWith('file:')) requests.push(r.url());
      });
      await page.goto(pathToFileURL(file).href);
      const rows = await page.$$eval('.chart > .row', (els) => els.map((e) => ({ id: e.getAttribute('data-row'), label: e.querySelector('.label')?.textContent, height: e.getBoundingClientRect().height })));
      expect(rows.map((r) => r.id)).toEqual(picture.rows.map((r) => r.id));
      expect(rows.every((r) => r.height >= 20)).toBe(true);
      // Each bar is laid out inside its lane with a visible width.
      const bars = await page.$$eval('.bar', (els) => els.map((e) => { const b = e.getBoundingClientRect(); const l = (e.parentElement as HTMLElement).getBoundingClientRect(); return { w: b.width, inside: b.left >= l.left - 1 && b.right <= l.right + 1 }; }));
      expect(bars.length).toBe(picture.rows.reduce((n, r) => n + r.bars.length, 0));
      expect(bars.every((b) => b.w >= 1 && b.inside)).toBe(true);
      expect(await page.$$eval('[data-marker="notification"]', (els) => els.length)).toBe(report.notifications.length);
      // Hovering a bar shows what it is.
      // Near its top-left corner: batches, gates and drains are drawn over a refresh's middle (lib/report/html.ts).
      await page.hover('.bar[data-kind="refresh"]', { position: { x: 2, y: 1 } });
      expect(await page.textContent('#tip')).toMatch(/Instance refresh of a node group/);
      expect(problems).toEqual([]);
      expect(requests).toEqual([]);
      mkdirSync('docs/images', { recursive: true });
      await page.mouse.move(0, 0);
      await page.screenshot({ path: 'docs/images/report.png', fullPage: true });
    } finally {
      await browser.close();
    }
  });
});
