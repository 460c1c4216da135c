/**
 * The dashboard as a person sees it during a simulated day: a real gateway (a child
 * process) and the reference dispatch run a short scenario; headless chromium logs in
 * while it runs, waits for live data, and once the day is over (gateway still up) checks
 * that every chart drew its series on its canvas, that the route plot has the van's track
 * and every stop, that task rows show addresses and never JSON, and that the day's figures
 * on screen are the scenario summary's (the same report code). Screenshots at desktop and
 * phone width go to tests/artifacts/.
 */
import { mkdir } from 'node:fs/promises';
import path from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseScenario } from '../../simulators/scenario.js';
import { runScenario, type ScenarioReport } from '../../simulators/runner.js';
import { readJournal } from '../../cloud-sync/journal/read.js';
import { computeReport, type ReportRecord } from '../../report/figures.js';

const ARTIFACTS = path.resolve('tests/artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';
const PASSWORD = 'dashboard-day-pass';
const STOPS = 10;

const scenario = parseScenario({
  name: 'dashboard-day',
  seed: 23,
  speed: 300,
  start: '08:00',
  generate: { stops: STOPS, radiusKm: 3, windowMin: 120, events: { '2': 'customer-absent', '4': 'wrong-weight' } },
  devices: { serial: 'mqtt' },
  expect: { exceptions: { 'customer-absent': 1 } },
});

let browser: Browser;

beforeAll(async () => {
  browser = await chromium.launch({ executablePath: CHROMIUM, headless: true, args: ['--headless', '--no-sandbox', '--disable-gpu', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'] });
  await mkdir(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await browser?.close().catch(() => undefined);
});

/** per chart: its non-zero points (as the page counts them) and the canvas pixels in its first series' colour */
async function chartInk(page: Page): Promise<{ id: string; points: number; ink: number }[]> {
  return page.$$eval('figure.chart', (figures) =>
    figures.map((f) => {
      const canvas = f.querySelector('canvas');
      const marker = f.querySelector<HTMLElement>('.u-series:nth-child(2) .u-marker');
      const color = marker ? getComputedStyle(marker).borderColor : '';
      const want = (/rgba?\((\d+), (\d+), (\d+)/.exec(color) ?? []).slice(1, 4).map(Number);
      let ink = 0;
      if (canvas && want.length === 3) {
        const px = canvas.getContext('2d')!.getImageData(0, 0, canvas.width, canvas.height).data;
        for (let i = 0; i < px.length; i += 4) {
          if (px[i + 3]! > 200 && Math.abs(px[i]! - want[0]!) < 24 && Math.abs(px[i + 1]! - want[1]!) < 24 && Math.abs(px[i + 2]! - want[2]!) < 24) ink++;
        }
      }
      return { id: f.id, points: Number(f.getAttribute('data-points') ?? 0), ink };
    }),
  );
}

/** Fails when a chart drew nothing or a task row shows JSON; returns what it saw. */
async function checkPage(page: Page): Promise<void> {
  const charts = await chartInk(page);
  expect(charts.map((c) => c.id)).toEqual(['chart-verdicts', 'chart-latency', 'chart-journal', 'chart-refused']);
  // every chart drew its first series (a line of zeros is drawn too); an empty chart has no ink
  for (const c of charts) expect(c.ink, `${c.id} drew its series`).toBeGreaterThan(20);
  // and the ones fed by the day carry data
  for (const id of ['chart-verdicts', 'chart-latency', 'chart-journal']) expect(charts.find((c) => c.id === id)!.points, `${id} has points`).toBeGreaterThan(0);

  const rows = await page.$$eval('.kit .task', (lis) => lis.map((li) => ({ text: li.textContent ?? '', where: li.querySelector('.task-where')?.textContent ?? '', status: li.getAttribute('data-status') })));
  expect(rows).toHaveLength(STOPS);
  for (const r of rows) {
    expect(r.text, 'a task row shows no JSON').not.toMatch(/[{}"]/);
    expect(r.where).toMatch(/^Stop \d+$/);
    expect(r.text).toMatch(/window \d\d:\d\d–\d\d:\d\d/);
  }
  expect(rows.filter((r) => r.status === 'picked-up').length).toBeGreaterThan(STOPS / 2);

  const plot = page.locator('.kit svg.route-plot');
  expect(Number(await plot.locator('polyline.track').getAttribute('data-points'))).toBeGreaterThan(10);
  expect((await plot.locator('polyline.track').getAttribute('points'))!.split(' ').length).toBeGreaterThan(10);
  expect(await plot.locator('g.stop').count()).toBe(STOPS);
  expect(await plot.locator('g.stop circle.geofence').count()).toBe(STOPS);
}

describe('dashboard during a scenario, in chromium', () => {
  it('shows live charts, the route to scale, readable tasks and the day figures of the summary', async () => {
    const problems: string[] = [];
    let page: Page | undefined;
    let dashboardUp!: (url: string) => void;
    const up = new Promise<string>((resolve) => (dashboardUp = resolve));
    /** the browser's part while the day runs: log in, see live data come */
    const live = (async () => {
      const url = await up;
      page = await browser.newPage({ viewport: { width: 1360, height: 900 } });
      page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
      page.on('console', (msg) => {
        if (msg.type() === 'error' && !/status of 401/.test(msg.text())) problems.push(`console: ${msg.text()}`);
      });
      page.on('request', (r) => {
        if (!r.url().startsWith(new URL(url).origin)) problems.push(`fetched ${r.url()}`);
      });
      await page.goto(url);
      await page.fill('#username', 'tech');
      await page.fill('#password', PASSWORD);
      await page.click('#login-button');
      await page.locator('#app-view').waitFor({ state: 'visible' });
      await page.locator('.kit .task .task-where', { hasText: 'Stop 1' }).first().waitFor({ timeout: 20_000 });
      await page.locator('.kit .verdict[data-outcome="accepted"], .kit .verdict[data-outcome="confirmed"]').first().waitFor({ timeout: 20_000 });
      await page.locator('#figures .f-first .figure-n').waitFor({ timeout: 20_000 });
      await page.waitForFunction(() => Number(document.getElementById('chart-verdicts')?.getAttribute('data-points') ?? 0) > 0, undefined, { timeout: 20_000 });
    })();
    live.catch(() => undefined);

    let report: ScenarioReport | undefined;
    await runScenario({
      scenario,
      operatorPassword: PASSWORD,
      log: (line) => {
        const m = /dashboard (http:\/\/\S+) /.exec(line);
        if (m) dashboardUp(m[1]!);
      },
      // the day is over, the gateway still up: look at the page
      hold: async (r) => {
        report = r;
        await live;
        const p = page!;
        const f = r.figures.report;
        expect(f.stops).toBe(STOPS);
        const pct = (x: { rate: number | null }) => (x.rate === null ? 'n/a' : `${Math.round(x.rate * 100)} %`);
        // the figures on screen are the summary's: the same code over the same day's records
        await expect.poll(() => p.textContent('#figures .f-first .figure-n'), { timeout: 15_000 }).toBe(pct(f.firstAttempt));
        await expect.poll(() => p.textContent('#figures .f-ontime .figure-n'), { timeout: 15_000 }).toBe(pct(f.onTime));
        expect(await p.textContent('#figures .f-exceptions .figure-n')).toBe(String(f.exceptions.total));
        expect(await p.textContent('#figures .f-exceptions')).toContain('customer absent 1');
        // ETAs a newer one replaced before it was sent never reach dispatch: the ETA error on screen is
        // the one `courier-gw report` computes from the gateway's journal
        const records: ReportRecord[] = [];
        await readJournal(path.join(r.workDir, 'data'), (rec) => records.push(rec));
        const fromJournal = computeReport(records, { day: f.day ?? records[0]!.createdAt.slice(0, 10) });
        expect(fromJournal.firstAttempt).toEqual(f.firstAttempt);
        await expect.poll(() => p.textContent('#figures .f-eta .figure-n'), { timeout: 15_000 }).toBe(fromJournal.eta.maeMin === null ? 'n/a' : `${fromJournal.eta.maeMin.toFixed(1)} min`);
        // the exception names its task, its customer and the reason
        const exception = p.locator('#exceptions .exception').first();
        expect(await exception.textContent()).toMatch(/customer absent.*T02.*customer-2/);
        // the review the courier confirmed (stop 4, heavier than declared) shows as confirmed, with its receipt
        const confirmed = p.locator('.kit .verdict[data-outcome="confirmed"]', { hasText: 'far from what the customer declared' });
        expect(await confirmed.count()).toBe(1);
        expect(await confirmed.locator('.recorded').textContent()).toMatch(/^receipt /);
        expect(await p.locator('.kit .verdict[data-outcome="needs-review"] .recorded:not(.no)').count()).toBe(0);
        // the charts fill in bucket by bucket: wait for the last one to carry the day's end
        await p.waitForTimeout(2500);
        await checkPage(p);
        await p.screenshot({ path: path.join(ARTIFACTS, 'dashboard-scenario.png'), fullPage: true });
        await p.setViewportSize({ width: 390, height: 844 });
        await p.waitForTimeout(300);
        await checkPage(p);
        const width = await p.evaluate(() => document.documentElement.scrollWidth);
        expect(width, 'nothing wider than the phone').toBeLessThanOrEqual(390);
        await p.screenshot({ path: path.join(ARTIFACTS, 'dashboard-scenario-phone.png'), fullPage: true });
        // closed before the gateway stops: its stream ending then is no fault of the page
        await p.close();
      },
    });
    await live;
    expect(report?.failures ?? ['no report']).toEqual([]);
    expect(problems).toEqual([]);
  }, 150_000);
});
