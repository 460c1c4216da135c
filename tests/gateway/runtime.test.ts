import { mkdtemp, rm } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import { afterEach, describe, expect, it } from 'vitest';
import { parseConfig } from '../../gateway/config.js';
import { Gateway, type Component } from '../../gateway/runtime.js';
import { apiTokenHash, authFetch } from '../helpers/gateway.js';

const dirs: string[] = [];
afterEach(async () => {
  for (const d of dirs.splice(0)) await rm(d, { recursive: true, force: true });
});

async function gateway(): Promise<Gateway> {
  const dataDir = await mkdtemp(path.join(os.tmpdir(), 'cg-runtime-'));
  dirs.push(dataDir);
  const config = parseConfig({ gateway: { id: 'gw-rt', dataDir }, mqtt: { host: '127.0.0.1', port: 0, wsPort: null }, http: { host: '127.0.0.1', port: 0, apiTokens: [{ name: 'tests', tokenHash: apiTokenHash() }] } });
  return new Gateway(config, { log: pino({ level: 'silent' }) });
}

function component(name: string, log: string[], o: { fails?: boolean; essential?: boolean } = {}): Component {
  return {
    name,
    essential: o.essential,
    attach: () => void log.push(`${name}.attach`),
    start: async () => {
      log.push(`${name}.start`);
      if (o.fails) throw new Error(`${name} broke`);
    },
    stop: async () => void log.push(`${name}.stop`),
    status: () => ({ fine: true }),
  };
}

describe('Gateway components', () => {
  it('attaches every component before the broker starts, starts them in order and stops them in reverse', async () => {
    const g = await gateway();
    const log: string[] = [];
    g.add(component('a', log));
    g.add(component('b', log));
    await g.start();
    await g.stop();
    expect(log).toEqual(['a.attach', 'b.attach', 'a.start', 'b.start', 'b.stop', 'a.stop']);
  });

  it('runs without a component whose start fails, raising component-failed, and starts the rest', async () => {
    const g = await gateway();
    const log: string[] = [];
    g.add(component('eta', log, { fails: true }));
    g.add(component('sync', log));
    await g.start();
    try {
      expect(log).toContain('sync.start');
      expect(g.activeAlarms()).toMatchObject([{ kind: 'component-failed', source: 'eta', message: 'eta failed to start: eta broke', active: true }]);
      const health = (await (await authFetch(`http://127.0.0.1:${g.http.port}/healthz`)).json()) as { components: Record<string, unknown> };
      expect(health.components).toEqual({ eta: { failed: 'eta broke' }, sync: { fine: true } });
    } finally {
      await g.stop();
    }
  });

  it('fails the start when an essential component fails, and starts nothing after it', async () => {
    const g = await gateway();
    const log: string[] = [];
    g.add(component('journal', log, { fails: true, essential: true }));
    g.add(component('sync', log));
    await expect(g.start()).rejects.toThrow('journal broke');
    await g.stop();
    expect(log).not.toContain('sync.start');
  });
});
