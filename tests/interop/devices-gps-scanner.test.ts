/**
 * Issue 4, "Done when" over real pseudo-terminals: a GPS unit (the GpsUnitStub driving a
 * route) configured as `kind: gps, protocol: nmea` gives `position` events, and sentences
 * with a bad checksum are dropped and counted; a serial scanner gives `scan` events with
 * the symbology from the AIM id.
 */
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { GpsUnitStub } from '../../firmware-stubs/gps/gps-unit.js';
import { SerialScannerStub } from '../../firmware-stubs/scanner/scanners.js';
import { encodeGga, encodeRmc } from '../../devices/gps/nmea-encode.js';
import { ConfigError, parseConfig } from '../../gateway/config.js';
import { authFetch, collect, metricValue, OPERATOR_PASSWORD, operatorHash, startTestGateway, type TestGateway } from '../helpers/gateway.js';
import { ptyPair, type PtyPair } from '../helpers/pty.js';
import { PeerPort, sleep, waitUntil } from '../helpers/device-peer.js';

type Msg = { topic: string; payload: unknown };
type Position = { lat: number; lon: number; fix?: string; speedKmh?: number; headingDeg?: number; accuracyM?: number; hdop?: number; satellites?: number; at?: string };

const route = [
  { lat: 52.5219, lon: 13.4132 },
  { lat: 52.5096, lon: 13.376 },
];
const SPEED_KMH = 36;

let dir: string;
let gpsPair: PtyPair;
let scanPair: PtyPair;
let gpsPort: PeerPort;
let scanPort: PeerPort;
let unit: GpsUnitStub;
let ticker: NodeJS.Timeout | undefined;
let t: TestGateway;

function startUnit(): void {
  ticker = setInterval(() => {
    for (const line of unit.tick(Date.now())) void gpsPort.write(line);
  }, 100);
}
function stopUnit(): void {
  if (ticker) clearInterval(ticker);
  ticker = undefined;
}
const pos = (m: Msg): Position => m.payload as Position;

/** a sentence as the unit sends it but with its checksum replaced by a wrong one */
function corrupt(line: string): string {
  const m = /^(\$[^*]+)\*([0-9A-F]{2})\r\n$/.exec(line);
  if (!m) throw new Error(`not an NMEA line: ${line}`);
  const wrong = ((parseInt(m[2], 16) + 1) & 0xff).toString(16).toUpperCase().padStart(2, '0');
  return `${m[1]}*${wrong}\r\n`;
}

/** a collector on its own operator connection: collect() sees every message of its client */
async function watch(filter: string) {
  return collect(await t.connect('tech', OPERATOR_PASSWORD), filter);
}

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cg-gps-'));
  gpsPair = await ptyPair(dir, 'gps');
  scanPair = await ptyPair(dir, 'scanner');
  gpsPort = await PeerPort.open(gpsPair.peer);
  scanPort = await PeerPort.open(scanPair.peer);
  t = await startTestGateway({
    operators: [{ username: 'tech', passwordHash: operatorHash() }],
    kits: [{ id: 'van-1' }],
    devices: [
      { id: 'gps-1', kind: 'gps', kit: 'van-1', protocol: 'nmea', transport: { type: 'serial', path: gpsPair.device, baudRate: 9600 } },
      { id: 'scanner-1', kind: 'scanner', kit: 'van-1', protocol: 'serial-scanner', transport: { type: 'serial', path: scanPair.device, baudRate: 9600 } },
    ],
  });
  await waitUntil(() => t.gateway.devices.list().every((d) => d.state === 'online'), 'both devices online');
});

afterAll(async () => {
  stopUnit();
  await t?.stop();
  await gpsPort?.close();
  await scanPort?.close();
  await gpsPair?.close();
  await scanPair?.close();
  if (dir) await rm(dir, { recursive: true, force: true });
});

describe('config of the serial GPS and scanner devices (the real protocol registry)', () => {
  const entries: [string, Record<string, unknown>][] = [
    ['nmea', { id: 'gps-1', kind: 'gps', kit: 'van-1', protocol: 'nmea', transport: { type: 'serial', path: '/dev/ttyUSB0', baudRate: 9600 } }],
    ['serial-scanner', { id: 'scanner-1', kind: 'scanner', kit: 'van-1', protocol: 'serial-scanner', transport: { type: 'serial', path: '/dev/ttyUSB1' } }],
  ];
  it.each(entries)('a %s device entry as issue 4 writes it is a valid gateway config', (_name, entry) => {
    let problems: string[] = [];
    try {
      parseConfig({ devices: [entry] });
    } catch (err) {
      if (!(err instanceof ConfigError)) throw err;
      problems = err.problems.map((p) => `${p.path}: ${p.message}`);
    }
    expect(problems).toEqual([]);
  });
});

describe('GPS unit (NMEA 0183) on a pseudo-terminal', () => {
  it('gives position events that match where the unit is on its route, one per GPS second', async () => {
    const inbox = await watch('cg/v1/devices/gps-1/events/position');
    // the unit has been driving for two seconds: its first tick sends three epochs
    unit = new GpsUnitStub({ route, speedKmh: SPEED_KMH, startMs: Math.floor(Date.now() / 1000) * 1000 - 2000 });
    startUnit();
    await inbox.next(() => inbox.messages.length >= 3, 6000);
    const events = inbox.messages.map(pos);
    const times = events.map((p) => Date.parse(p.at ?? ''));
    for (const [i, p] of events.entries()) {
      const truth = unit.positionAt(times[i]);
      expect(p.lat).toBeCloseTo(truth.lat, 5);
      expect(p.lon).toBeCloseTo(truth.lon, 5);
      expect(p).toMatchObject({ fix: '3d', satellites: 9, hdop: 0.9, accuracyM: 4.5 });
      expect(p.speedKmh).toBeCloseTo(SPEED_KMH, 1);
      expect(p.headingDeg).toBeCloseTo(truth.courseDeg, 0);
      expect(times[i] % 1000).toBe(0);
      expect(Math.abs(Date.now() - times[i])).toBeLessThan(10_000);
    }
    // strictly later GPS times, one event per second of moving (the catch-up burst counts once)
    for (let i = 1; i < times.length; i++) expect(times[i]).toBeGreaterThan(times[i - 1]);
    expect(new Set(times).size).toBe(times.length);
  });

  it('drops sentences with a bad checksum, counts them, and keeps giving positions', async () => {
    const labels = { device: 'gps-1', kind: 'bad-checksum' };
    const before = await metricValue(t.httpUrl, 'cg_device_faults_total', labels);
    stopUnit();
    await sleep(400);
    const inbox = await watch('cg/v1/devices/gps-1/events/position');
    // an epoch the driver has not seen, otherwise perfect, each checksum off by one
    const at = Math.floor(Date.now() / 1000) * 1000 + 1000;
    const p = unit.positionAt(at);
    const values = { timeMs: at, lat: p.lat, lon: p.lon, valid: true, speedKmh: SPEED_KMH, courseDeg: p.courseDeg, satellites: 9, hdop: 0.9, altitudeM: 50 };
    await gpsPort.write(corrupt(encodeRmc(values)));
    await gpsPort.write(corrupt(encodeGga(values)));
    await gpsPort.write('$GPVTG,054.7,T,034.4,M,005.5,N,010.2,K*49\r\n');
    await waitUntil(async () => (await metricValue(t.httpUrl, 'cg_device_faults_total', labels)) === before + 3, 'three bad-checksum faults');
    await sleep(600); // longer than the driver's epoch window (300 ms)
    expect(inbox.messages).toEqual([]);
    // the good sentences of the next seconds still become positions
    startUnit();
    const next = await inbox.next(() => true, 4000);
    expect(pos(next)).toMatchObject({ fix: '3d' });
    expect(await metricValue(t.httpUrl, 'cg_device_faults_total', labels)).toBe(before + 3);
    const health = (await (await authFetch(`${t.httpUrl}/healthz`)).json()) as { status: string; devices: { id: string; state: string }[] };
    expect(health.status).toBe('ok');
    expect(health.devices.find((d) => d.id === 'gps-1')?.state).toBe('online');
  });
});

describe('serial scanner on a pseudo-terminal', () => {
  it('gives a scan event with the symbology of the AIM id', async () => {
    const inbox = await watch('cg/v1/devices/scanner-1/events/scan');
    await scanPort.write(']C0RB123456785GB\r\n');
    const m = await inbox.next();
    expect(m.payload).toMatchObject({ code: 'RB123456785GB', symbology: 'code128', aim: ']C0', raw: ']C0RB123456785GB' });
  });

  it('joins a line split across writes, keeps GS1 elements, and takes the stub scanner’s QR reads', async () => {
    const inbox = await watch('cg/v1/devices/scanner-1/events/scan');
    await scanPort.write(']C10037612345000000001642127');
    await sleep(50);
    await scanPort.write('610115\x1d10LOT7\r\n');
    const gs1 = await inbox.next((m) => (m.payload as { symbology?: string }).symbology === 'gs1-128');
    expect(gs1.payload).toMatchObject({
      symbology: 'gs1-128',
      aim: ']C1',
      gs1: [
        { ai: '00', value: '376123450000000016' },
        { ai: '421', value: '27610115' },
        { ai: '10', value: 'LOT7' },
      ],
    });
    expect((gs1.payload as { code: string }).code).toBe('0037612345000000001642127610115\x1d10LOT7');
    const stub = new SerialScannerStub();
    await scanPort.write(stub.scan('https://example.com/p/RR123456785CN', 'qr'));
    const qr = await inbox.next((m) => (m.payload as { symbology?: string }).symbology === 'qr');
    expect(qr.payload).toMatchObject({ code: 'https://example.com/p/RR123456785CN', aim: ']Q1' });
    expect(inbox.messages).toHaveLength(2);
  });

  it('counts an overlong line without a terminator as a fault and keeps scanning', async () => {
    const labels = { device: 'scanner-1', kind: 'overflow' };
    const before = await metricValue(t.httpUrl, 'cg_device_faults_total', labels);
    const inbox = await watch('cg/v1/devices/scanner-1/events/scan');
    await scanPort.write('X'.repeat(5000));
    await waitUntil(async () => (await metricValue(t.httpUrl, 'cg_device_faults_total', labels)) > before, 'an overflow fault');
    await scanPort.write('\r\n]E05901234123457\r\n');
    const m = await inbox.next((x) => (x.payload as { symbology?: string }).symbology === 'ean13');
    expect(m.payload).toMatchObject({ code: '5901234123457', aim: ']E0' });
    // the tail of the overlong line was dropped with it, not read as a code
    expect(inbox.messages).toHaveLength(1);
  });
});
