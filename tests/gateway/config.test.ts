import { mkdtemp, writeFile } from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { ConfigError, loadConfig, parseConfig } from '../../gateway/config.js';

function problemsOf(fn: () => unknown): string[] {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err.problems.map((p) => `${p.path}: ${p.message}`);
    throw err;
  }
  throw new Error('expected a ConfigError');
}

describe('config', () => {
  it('accepts no file at all, with every default filled in', async () => {
    const c = await loadConfig(undefined);
    expect(c.mqtt.port).toBe(1883);
    expect(c.mqtt.wsPort).toBe(9001);
    expect(c.http.port).toBe(8080);
    expect(c.gateway.id).toBe('gateway-1');
    expect(path.isAbsolute(c.gateway.dataDir)).toBe(true);
    expect(c.devices).toEqual([]);
  });

  it('names the field path of a wrong type', () => {
    const problems = problemsOf(() => parseConfig({ mqtt: { port: 'abc' } }));
    expect(problems[0]).toMatch(/^mqtt\.port: expected number/);
  });

  it('names array paths of device problems and unknown keys', () => {
    const problems = problemsOf(() =>
      parseConfig({
        devices: [
          { id: 'ok-1', kind: 'terminal', kit: 'k', credentials: { passwordHash: 'scrypt$x' } },
          { id: 'bad', kind: 'scale', kit: 'k', transport: { type: 'serial' } },
        ],
        mqtt: { prot: 1 },
      }),
    );
    expect(problems.some((p) => p.startsWith('devices[1].transport.path'))).toBe(true);
    expect(problems.some((p) => p.startsWith('mqtt') && p.includes('prot'))).toBe(true);
  });

  it('refuses duplicate ids, MQTT devices without credentials and unknown protocols', () => {
    const problems = problemsOf(() =>
      parseConfig({
        devices: [
          { id: 'd', kind: 'terminal', kit: 'k' },
          { id: 'd', kind: 'scale', kit: 'k', protocol: 'no-such', transport: { type: 'serial', path: '/dev/x' } },
        ],
      }),
    );
    expect(problems).toContain('devices[0].credentials: an MQTT device needs credentials.passwordHash');
    expect(problems.some((p) => p.startsWith('devices[1].id: duplicate device id'))).toBe(true);
    expect(problems).toContain('devices[1].protocol: unknown protocol "no-such"');
  });

  it('reads YAML, resolves paths against the file and applies overrides', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cg-cfg-'));
    const file = path.join(dir, 'gw.yaml');
    await writeFile(file, 'gateway: { id: van-017, dataDir: ./d }\nmqtt: { port: 1999 }\n');
    const c = await loadConfig(file, { httpPort: 0 });
    expect(c.gateway.id).toBe('van-017');
    expect(c.gateway.dataDir).toBe(path.join(dir, 'd'));
    expect(c.mqtt.port).toBe(1999);
    expect(c.http.port).toBe(0);
  });

  it('reports a file that is not YAML', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cg-cfg-'));
    const file = path.join(dir, 'gw.yaml');
    await writeFile(file, 'mqtt: [1, 2\n');
    await expect(loadConfig(file)).rejects.toThrow(/not valid YAML/);
  });

  it('names where a YAML syntax error is without printing the line (it may hold a secret)', async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), 'cg-cfg-'));
    const file = path.join(dir, 'gw.yaml');
    await writeFile(file, 'dispatch:\n  transport: http\n  url: [https://dispatch.example, s3cr3t-t0ken-value\n');
    const err = (await loadConfig(file).catch((e: unknown) => e)) as Error;
    expect(err.message).toMatch(/not valid YAML\/JSON: .+ \(line \d+, column \d+\)/);
    expect(err.message).not.toContain('s3cr3t-t0ken-value');
    expect(err.message).not.toContain('dispatch.example');
  });

  it('refuses http.tls without mqtt.tls (HTTPS takes its certificate and key)', () => {
    expect(() => parseConfig({ http: { tls: true } })).toThrow(/http\.tls: HTTPS uses mqtt\.tls/);
  });
});
