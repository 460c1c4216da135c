/**
 * The dashboard in a real browser (Debian's headless chromium via playwright-core):
 * log in, watch a simulated MQTT device go online and verdicts arrive, see a simulated
 * receipt printer's last print as an image with its alarms, keep screenshots in
 * tests/artifacts/.
 */
import { mkdir, mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import type { Component } from '../../gateway/runtime.js';
import { startSimulators, type Simulators } from '../../simulators/devices/index.js';
import { testHash } from '../helpers/gateway.js';
import { DEVICE_PASSWORD, OPERATOR_PASSWORD, startDashboardGateway, type DashboardGateway } from './dashboard-gateway.js';

const ARTIFACTS = path.resolve('tests/artifacts');
const CHROMIUM = process.env.CHROMIUM_PATH ?? '/usr/bin/chromium';

const staticComponent = (name: string, status: Record<string, unknown>): Component => ({
  name,
  start: async () => undefined,
  stop: async () => undefined,
  status: () => status,
});

let t: DashboardGateway;
let browser: Browser;
let context: BrowserContext;
let sims: Simulators;
let simDir: string;

beforeAll(async () => {
  const device = (id: string, kind: string) => ({ id, kind, kit: 'van-1', credentials: { passwordHash: testHash() } });
  simDir = await mkdtemp(path.join(os.tmpdir(), 'cg-dash-printer-'));
  // an ESC/POS receipt printer simulated on a loopback TCP port (a network printer's 9100)
  sims = await startSimulators({ kit: 'van-1', tickMs: 0, dir: simDir, devices: [{ id: 'receipt-1', protocol: 'escpos', link: 'tcp', gateway: { pollMs: 200 } }] });
  t = await startDashboardGateway(
    {
      devices: [device('scanner-1', 'scanner'), device('scale-1', 'scale'), device('gps-1', 'gps'), device('term-1', 'terminal'), ...sims.gatewayConfig().devices],
    },
    {
      dashboard: { failureDelayMs: 50, deviceRefreshMs: 200 },
      components: [
        staticComponent('journal', {
          depth: { live: 1, records: 3, bulk: 27 },
          oldestUnsentMs: 754_000,
          link: { state: 'down', transport: 'http', lastError: 'connect ECONNREFUSED dispatch:443', lastSuccessAt: new Date(Date.now() - 760_000).toISOString() },
        }),
        staticComponent('rules', { version: '2024-05-17.3' }),
      ],
    },
  );
  // playwright gives the browser a fresh temporary profile of its own
  browser = await chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: ['--headless', '--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking', '--disable-component-update', '--disable-sync'],
  });
  context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
  await mkdir(ARTIFACTS, { recursive: true });
});

afterAll(async () => {
  await context?.close().catch(() => undefined);
  await browser?.close().catch(() => undefined);
  await t?.stop();
  await sims?.close();
  if (simDir) await rm(simDir, { recursive: true, force: true });
});

describe('dashboard in chromium', () => {
  it('logs in, shows a device going online and verdicts arriving live', async () => {
    const page = await context.newPage();
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      // the refused login answers 401 on purpose; anything else is a problem
      if (msg.type() === 'error' && !/status of 401/.test(msg.text())) problems.push(`console: ${msg.text()}`);
    });
    page.on('request', (req) => {
      if (!req.url().startsWith(t.httpUrl)) problems.push(`external request: ${req.url()}`);
    });

    await page.goto(t.dashboardUrl);
    await page.locator('#login-form').waitFor({ state: 'visible' });
    await page.fill('#username', 'tech');
    await page.fill('#password', 'wrong-password');
    await page.click('#login-button');
    await expect.poll(() => page.textContent('#login-error')).toBe('Wrong user name or password.');

    await page.fill('#password', OPERATOR_PASSWORD);
    await page.click('#login-button');
    await page.locator('#app-view').waitFor({ state: 'visible' });
    await page.locator('tr[data-device="scanner-1"][data-state="offline"]').waitFor();
    expect(await page.textContent('#operator')).toBe('tech');
    expect(await page.textContent('#link-text')).toBe('live');
    expect(await page.textContent('#rules-version')).toBe('rules 2024-05-17.3');

    await t.gateway.broker.publish(
      'cg/v1/kits/van-1/tasks',
      {
        tasks: [
          { id: 'T-101', waybill: 'RB123456785GB', address: 'Hauptstr. 12, Berlin', status: 'done' },
          { id: 'T-102', waybill: '1Z999AA10123456784', address: 'Lindenweg 4, Berlin', status: 'open', window: { from: '2024-05-17T10:00:00Z', to: '2024-05-17T11:00:00Z' } },
          { id: 'T-103', waybill: 'SF1234567890123', address: 'Am Markt 1, Potsdam', status: 'exception' },
        ],
      },
      { retain: true, qos: 1 },
    );

    const scanner = await t.connect('scanner-1', DEVICE_PASSWORD);
    await page.locator('tr[data-device="scanner-1"][data-state="online"]').waitFor();
    const scale = await t.connect('scale-1', DEVICE_PASSWORD);
    const gps = await t.connect('gps-1', DEVICE_PASSWORD);
    await gps.publishAsync('cg/v1/devices/gps-1/events/position', JSON.stringify({ lat: 52.5219, lon: 13.4132, speedKmh: 31.4, fix: '3d' }), { qos: 1 });
    await scanner.publishAsync('cg/v1/devices/scanner-1/events/scan', JSON.stringify({ code: 'RB123456785GB', symbology: 'code128' }), { qos: 1 });
    await scale.publishAsync('cg/v1/devices/scale-1/events/weight', JSON.stringify({ grams: 1234, stable: true, status: 'ok' }), { qos: 1 });
    await scale.publishAsync('cg/v1/devices/scale-1/events/weight', JSON.stringify({ grams: 'heavy' }), { qos: 1 });
    await page.locator('tr[data-device="scale-1"] .reading', { hasText: '1.234 kg · stable' }).waitFor();
    await page.locator('tr[data-device="scanner-1"] .reading', { hasText: 'RB123456785GB · code128' }).waitFor();
    await expect.poll(() => page.textContent('tr[data-device="scale-1"] td[data-label="refused"]')).toBe('1');

    await t.gateway.broker.publish('cg/v1/kits/van-1/verdicts', { outcome: 'rejected', waybill: 'SF1234567890123', taskId: 'T-103', reasons: [{ code: 'WEIGHT', message: 'weight 12.4 kg is over the declared 5 kg by more than 20 %' }], recorded: false, grams: 12400 });
    await t.gateway.broker.publish('cg/v1/kits/van-1/verdicts', { outcome: 'needs-review', waybill: '1Z999AA10123456784', taskId: 'T-102', reasons: ['location 640 m from the stop'], recorded: false, grams: 2210 });
    await t.gateway.broker.publish('cg/v1/kits/van-1/verdicts', { outcome: 'accepted', waybill: 'RB123456785GB', taskId: 'T-101', reasons: [], recorded: 'R-000184', grams: 1234 });
    const accepted = page.locator('.kit[data-kit="van-1"] .verdict[data-outcome="accepted"]');
    await accepted.waitFor();
    expect(await accepted.locator('.waybill').textContent()).toBe('RB123456785GB');
    expect(await accepted.locator('.recorded').textContent()).toBe('receipt R-000184');
    expect(await page.locator('.kit[data-kit="van-1"] .verdict').first().getAttribute('data-outcome')).toBe('accepted');
    expect(await page.locator('.verdict[data-outcome="rejected"] .reasons li').textContent()).toBe('weight 12.4 kg is over the declared 5 kg by more than 20 %');
    expect(await page.locator('.task-list .task').count()).toBe(3);

    t.gateway.bus.emit('alarm', { kind: 'door-open', source: 'locker-bank-A/A3', message: 'door A3 open for 6 min', active: true, at: Date.now() - 360_000 });
    await page.locator('#alarms .alarm', { hasText: 'door A3 open for 6 min' }).waitFor();
    await expect.poll(() => page.textContent('.lanes')).toContain('27');

    // the bus activity: one device's messages only, then paused while more come
    await page.selectOption('#bus-device', 'gps-1');
    await expect.poll(async () => (await page.$$eval('#activity .a-topic', (els) => els.map((e) => e.textContent ?? ''))).every((x) => x.startsWith('devices/gps-1/'))).toBe(true);
    expect(await page.locator('#activity .a-topic').count()).toBeGreaterThan(0);
    await page.selectOption('#bus-device', '');
    await page.selectOption('#bus-kind', 'errors');
    await expect.poll(() => page.$$eval('#activity .a-topic', (els) => els.map((e) => e.textContent))).toEqual(['devices/scale-1/errors']);
    await page.selectOption('#bus-kind', '');
    await page.click('#bus-pause');
    const before = await page.locator('#activity li').allTextContents();
    await gps.publishAsync('cg/v1/devices/gps-1/events/position', JSON.stringify({ lat: 52.5301, lon: 13.4201, speedKmh: 12, fix: '3d' }), { qos: 1 });
    await page.locator('tr[data-device="gps-1"] .reading', { hasText: '52.53010' }).waitFor();
    expect(await page.locator('#activity li').allTextContents()).toEqual(before);
    await page.click('#bus-pause');
    await page.locator('#activity .a-text', { hasText: '52.53010' }).first().waitFor();

    // a device's own page: its state and its messages on the bus
    await page.click('tr[data-device="scale-1"] a.dev-link');
    await page.locator('#device-page-title', { hasText: 'scale-1' }).waitFor();
    await page.locator('#device-page .frames pre', { hasText: '"grams":1234' }).waitFor();
    expect(await page.textContent('#device-page')).toContain('refused1');
    await page.click('#device-close');
    await page.locator('#device-page').waitFor({ state: 'hidden' });

    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard.png'), fullPage: true });
    await page.setViewportSize({ width: 390, height: 844 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-mobile.png'), fullPage: true });

    const html = await page.content();
    expect(html).not.toContain('scrypt$');
    expect(problems).toEqual([]);

    await page.click('#logout');
    await page.locator('#login-form').waitFor({ state: 'visible' });
    expect((await context.cookies()).filter((c) => c.name === 'cg_dashboard')).toEqual([]);
  });

  it("shows each printer's last print as an image, refreshed per print, with its alarms", async () => {
    const page = await context.newPage();
    await page.setViewportSize({ width: 1360, height: 900 });
    const problems: string[] = [];
    page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
    page.on('console', (msg) => {
      // the session check before the login answers 401 on purpose
      if (msg.type() === 'error' && !/status of 401/.test(msg.text())) problems.push(`console: ${msg.text()}`);
    });
    page.on('response', (r) => {
      if (r.url().includes('/api/printers/') && r.status() !== 200) problems.push(`${r.url()} answered ${r.status()}`);
    });
    await page.goto(t.dashboardUrl);
    await page.fill('#username', 'tech');
    await page.fill('#password', OPERATOR_PASSWORD);
    await page.click('#login-button');
    const printer = page.locator('.printer[data-printer="receipt-1"]');
    await printer.locator('.pill', { hasText: 'online' }).waitFor({ timeout: 15_000 });
    expect(await printer.locator('.empty').textContent()).toBe('Nothing printed yet.');

    const pickup = (id: string, receipt: string, waybill: string, grams: number) =>
      t.gateway.bus.emit('pickup-recorded', { id, kit: 'van-1', createdAt: new Date().toISOString(), clock: 'ntp', body: { receipt, waybill, taskId: 'T-101', customer: 'Acme', weights: { grams } } });
    /** the image's natural width once the browser has decoded it; 0 when it is missing or broken */
    const decodedWidth = async (printId: string) => {
      const img = printer.locator('img.print');
      await img.waitFor({ timeout: 15_000 });
      await page.waitForFunction(
        ({ id }) => {
          const i = document.querySelector<HTMLImageElement>('.printer[data-printer="receipt-1"] img.print');
          return !!i && (i.getAttribute('src') ?? '').includes(encodeURIComponent(id + '@')) && i.complete;
        },
        { id: printId },
        { timeout: 15_000 },
      );
      expect(await img.getAttribute('data-broken')).toBeNull();
      return img.evaluate((i: HTMLImageElement) => i.naturalWidth);
    };

    pickup('rec-dash-1', 'R-000201', 'RB123456785GB', 1234);
    expect(await decodedWidth('rec-dash-1')).toBeGreaterThan(0);
    const src1 = await printer.locator('img.print').getAttribute('src');
    // the image comes from the gateway's printer route on the page's session cookie
    const cookie = (await context.cookies()).find((c) => c.name === 'cg_dashboard')!;
    const res = await fetch(new URL(src1!, t.httpUrl), { headers: { cookie: `${cookie.name}=${cookie.value}` } });
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('image/png');
    expect((await fetch(new URL(src1!, t.httpUrl))).status).toBe(401);

    // out of paper: the alarm shows next to the printer, and the next receipt waits for paper
    await sims.control('receipt-1', 'fault', { fault: 'paper-out' });
    await printer.locator('.printer-alarm', { hasText: 'printer out of paper' }).waitFor({ timeout: 15_000 });
    pickup('rec-dash-2', 'R-000202', '1Z999AA10123456784', 2210);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-printer-paper-out.png'), fullPage: true });
    expect(await printer.locator('img.print').getAttribute('src')).toBe(src1);
    await sims.control('receipt-1', 'clear', {});
    expect(await decodedWidth('rec-dash-2')).toBeGreaterThan(0);
    await expect.poll(() => printer.locator('.printer-alarm').count(), { timeout: 15_000 }).toBe(0);
    expect(await printer.locator('img.print').getAttribute('src')).not.toBe(src1);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-printer.png'), fullPage: true });

    // on a phone the receipt fits the screen
    await page.setViewportSize({ width: 390, height: 844 });
    await printer.scrollIntoViewIfNeeded();
    const box = await printer.locator('img.print').boundingBox();
    expect(box!.width).toBeGreaterThan(100);
    expect(box!.x + box!.width).toBeLessThanOrEqual(390);
    await page.screenshot({ path: path.join(ARTIFACTS, 'dashboard-printer-mobile.png'), fullPage: true });
    expect(problems).toEqual([]);
    await page.close();
  });
});
