/**
 * Password checks under a flood of connects: a bounded number hash at once, a short queue
 * waits, the rest are refused (server unavailable) without hashing; an address with too
 * many failed logins is refused until its window ends.
 */
import mqtt from 'mqtt';
import { afterEach, describe, expect, it } from 'vitest';
import { DEVICE_PASSWORD, metricValue, startTestGateway, testHash, type TestGateway } from '../helpers/gateway.js';
import { FailuresByAddress, hashPasswordSync, PasswordChecks } from '../../core/passwords.js';

let t: TestGateway | undefined;
afterEach(async () => {
  await t?.stop();
  t = undefined;
});

/** connects once; resolves with the CONNACK return code (0 when accepted) */
function connackCode(url: string, username: string, password: string): Promise<number> {
  const c = mqtt.connect(url, { username, password, reconnectPeriod: 0, connectTimeout: 10_000 });
  return new Promise<number>((resolve) => {
    c.once('connect', () => resolve(0));
    c.once('error', (err) => resolve((err as { code?: number }).code ?? -1));
  }).finally(() => c.end(true));
}

const device = { id: 'scanner-1', kind: 'scanner', kit: 'van-1', credentials: { passwordHash: testHash() } };

describe('password checks under a flood', () => {
  it('hashes at most the bound at once and refuses the connects beyond its queue', async () => {
    t = await startTestGateway({ mqtt: { auth: { maxConcurrentChecks: 1, maxQueuedChecks: 2, failuresPerAddress: 1000 } }, kits: [{ id: 'van-1' }], devices: [device] });
    const codes = await Promise.all(Array.from({ length: 20 }, () => connackCode(t!.mqttUrl, 'scanner-1', 'wrong-password')));
    const busy = await metricValue(t.httpUrl, 'cg_auth_refused_total', { reason: 'busy' });
    const checked = await metricValue(t.httpUrl, 'cg_auth_refused_total', { reason: 'bad_password' });
    expect(busy + checked).toBe(20);
    // one running and two waiting when the burst arrives: a handful checked at most, the rest refused unhashed
    expect(checked).toBeLessThanOrEqual(6);
    expect(codes.filter((c) => c === 3)).toHaveLength(busy);
    expect(codes.filter((c) => c === 4)).toHaveLength(checked);
    // the right password still gets in once the flood is over
    expect(await connackCode(t.mqttUrl, 'scanner-1', DEVICE_PASSWORD)).toBe(0);
  });

  it('refuses an address with too many failed logins, the right password included', async () => {
    t = await startTestGateway({ mqtt: { auth: { failuresPerAddress: 3, failureWindowMs: 60_000 } }, kits: [{ id: 'van-1' }], devices: [device] });
    for (let i = 0; i < 3; i++) expect(await connackCode(t.mqttUrl, 'scanner-1', `guess-${i}`)).toBe(4);
    expect(await connackCode(t.mqttUrl, 'scanner-1', DEVICE_PASSWORD)).toBe(3);
    expect(await metricValue(t.httpUrl, 'cg_auth_refused_total', { reason: 'throttled' })).toBe(1);
  });
});

describe('PasswordChecks', () => {
  it('runs no more than its bound at once and answers busy past its queue', async () => {
    const checks = new PasswordChecks(1, 1);
    const hash = hashPasswordSync('pw');
    const first = checks.verify('pw', hash);
    const second = checks.verify('nope', hash);
    expect(checks.load).toEqual({ active: 1, queued: 1 });
    expect(await checks.verify('pw', hash)).toBe('busy');
    expect(await first).toBe(true);
    expect(await second).toBe(false);
    expect(checks.load).toEqual({ active: 0, queued: 0 });
  });
});

describe('FailuresByAddress', () => {
  it('blocks an address at its failure count until its window ends, others not', () => {
    let now = 0;
    const f = new FailuresByAddress(2, 1000, () => now);
    f.fail('a');
    expect(f.blocked('a')).toBe(false);
    f.fail('a');
    expect(f.blocked('a')).toBe(true);
    expect(f.blocked('b')).toBe(false);
    now = 999;
    expect(f.blocked('a')).toBe(true);
    now = 1000;
    expect(f.blocked('a')).toBe(false);
  });

  it('forgets the oldest address past its bound', () => {
    const f = new FailuresByAddress(1, 1000, () => 0, 2);
    f.fail('a');
    f.fail('b');
    f.fail('c');
    expect(f.blocked('a')).toBe(false);
    expect(f.blocked('c')).toBe(true);
  });
});
