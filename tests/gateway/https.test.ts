/**
 * `http.tls`: the HTTP side speaks HTTPS with mqtt.tls's certificate and key, and the
 * dashboard's session cookie is then Secure.
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import https from 'node:https';
import os from 'node:os';
import path from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { API_TOKEN, OPERATOR_PASSWORD, operatorHash, startTestGateway, type TestGateway } from '../helpers/gateway.js';

let dir: string;
let ca: Buffer;
let t: TestGateway;

beforeAll(async () => {
  dir = await mkdtemp(path.join(os.tmpdir(), 'cg-https-'));
  const cert = path.join(dir, 'cert.pem');
  const key = path.join(dir, 'key.pem');
  execFileSync('openssl', ['req', '-x509', '-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:P-256', '-nodes', '-keyout', key, '-out', cert, '-days', '1', '-subj', '/CN=127.0.0.1', '-addext', 'subjectAltName=IP:127.0.0.1'], { stdio: 'ignore' });
  ca = await readFile(cert);
  t = await startTestGateway({
    operators: [{ username: 'tech', passwordHash: operatorHash() }],
    mqtt: { tls: { cert, key, port: 0 } },
    http: { tls: true },
  });
});

afterAll(async () => {
  await t?.stop();
  await rm(dir, { recursive: true, force: true });
});

function request(pathname: string, options: { method?: string; headers?: Record<string, string>; body?: string } = {}): Promise<{ status: number; headers: Record<string, string | string[] | undefined>; body: string }> {
  return new Promise((resolve, reject) => {
    const req = https.request({ host: '127.0.0.1', port: t.gateway.http.port, path: pathname, method: options.method ?? 'GET', headers: options.headers, ca }, (res) => {
      let body = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (body += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, headers: res.headers, body }));
    });
    req.on('error', reject);
    req.end(options.body);
  });
}

describe('HTTPS (http.tls)', () => {
  it('serves /healthz and the operator routes over TLS with the MQTT certificate', async () => {
    expect((await request('/healthz')).status).toBe(200);
    const full = await request('/healthz', { headers: { authorization: `Bearer ${API_TOKEN}` } });
    expect(JSON.parse(full.body)).toHaveProperty('components');
  });

  it('does not answer plain HTTP on that port', async () => {
    const plain = await fetch(`http://127.0.0.1:${t.gateway.http.port}/healthz`).then((r) => r.status, () => 0);
    expect(plain).not.toBe(200);
  });

  it('marks the dashboard session cookie Secure', async () => {
    const res = await request('/dashboard/api/login', { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ username: 'tech', password: OPERATOR_PASSWORD }) });
    expect(res.status).toBe(200);
    expect(String(res.headers['set-cookie'])).toMatch(/; HttpOnly; SameSite=Strict; Secure$/);
  });
});
