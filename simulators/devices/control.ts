/**
 * The two ways to control running simulators from outside:
 *  - text lines (stdin of `courier-gw sim devices`): `<device> <action> [key=value ... | {json}]`,
 *    `list`, `help`, `<device>` (its actions), `<device> status`, `quit`; one JSON answer line each;
 *  - HTTP on 127.0.0.1: GET /devices, GET /devices/<id>, POST /devices/<id>/<action> with a
 *    JSON object body; the answer is the ControlResult (200 ok, 400 bad args, 404 unknown, 500 failed).
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Simulators } from './simulators.js';
import type { ControlResult } from './sim-device.js';

export type ControlLine =
  | { type: 'control'; id: string; action: string; args: Record<string, unknown> }
  | { type: 'list' }
  | { type: 'help' }
  | { type: 'actions'; id: string }
  | { type: 'status'; id: string }
  | { type: 'quit' }
  | { type: 'empty' }
  | { type: 'invalid'; message: string };

/** `true`, `12`, `null`, `"x"` as JSON; anything else as the text typed */
function value(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return text;
  }
}

export function parseControlLine(line: string): ControlLine {
  const text = line.trim();
  if (text === '' || text.startsWith('#')) return { type: 'empty' };
  if (text === 'list') return { type: 'list' };
  if (text === 'help' || text === '?') return { type: 'help' };
  if (text === 'quit' || text === 'exit') return { type: 'quit' };
  const m = /^(\S+)(?:\s+(\S+))?(?:\s+([\s\S]*))?$/.exec(text);
  if (!m) return { type: 'invalid', message: 'expected "<device> <action> [key=value ...]"' };
  const [, id, action, rest] = m;
  if (!action || action === 'help') return { type: 'actions', id };
  if (action === 'status') return { type: 'status', id };
  const argText = (rest ?? '').trim();
  if (argText.startsWith('{')) {
    const parsed = value(argText);
    if (typeof parsed !== 'object' || parsed === null || Array.isArray(parsed)) return { type: 'invalid', message: 'the arguments are not a JSON object' };
    return { type: 'control', id, action, args: parsed as Record<string, unknown> };
  }
  const args: Record<string, unknown> = {};
  for (const part of argText.split(/\s+/).filter(Boolean)) {
    const eq = part.indexOf('=');
    if (eq <= 0) return { type: 'invalid', message: `"${part}" is not key=value` };
    args[part.slice(0, eq)] = value(part.slice(eq + 1));
  }
  return { type: 'control', id, action, args };
}

export const controlHelp = `commands:
  list                                   the simulated devices and their state
  <device>                               the actions of a device
  <device> status                        its state
  <device> <action> [key=value ...]      e.g. scale-1 load grams=1250, gps-1 bad-checksum count=5
  <device> <action> {"json": "args"}     the same with a JSON object
  quit`;

/** runs one control line; the answer is one JSON-serialisable object */
export async function runControlLine(sims: Simulators, line: string): Promise<{ answer: unknown; quit: boolean }> {
  const c = parseControlLine(line);
  switch (c.type) {
    case 'empty':
      return { answer: undefined, quit: false };
    case 'quit':
      return { answer: { ok: true, message: 'stopping' }, quit: true };
    case 'help':
      return { answer: { ok: true, help: controlHelp }, quit: false };
    case 'invalid':
      return { answer: { ok: false, error: 'BAD_COMMAND', message: c.message }, quit: false };
    case 'list':
      return { answer: { ok: true, devices: sims.devices.map((d) => sims.describe(d.id)) }, quit: false };
    case 'actions': {
      const actions = sims.actions(c.id);
      return { answer: actions ? { ok: true, id: c.id, actions } : unknownDevice(sims, c.id), quit: false };
    }
    case 'status': {
      const state = sims.describe(c.id);
      return { answer: state ? { ok: true, ...state } : unknownDevice(sims, c.id), quit: false };
    }
    case 'control':
      return { answer: await sims.control(c.id, c.action, c.args), quit: false };
  }
}

function unknownDevice(sims: Simulators, id: string): ControlResult {
  return { ok: false, error: 'UNKNOWN_DEVICE', message: `no simulated device "${id}"; known: ${sims.devices.map((d) => d.id).join(', ')}` };
}

const statusOf: Record<string, number> = { UNKNOWN_DEVICE: 404, UNKNOWN_ACTION: 404, BAD_ARGS: 400, BAD_COMMAND: 400, FAILED: 500 };

export interface ControlServer {
  readonly url: string;
  close(): Promise<void>;
}

/** the HTTP control endpoint, on 127.0.0.1 only */
export async function startControlServer(sims: Simulators, port = 0): Promise<ControlServer> {
  const server = http.createServer((req, res) => {
    void handle(sims, req).then(({ status, body }) => {
      res.writeHead(status, { 'content-type': 'application/json' });
      res.end(`${JSON.stringify(body)}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}

async function readBody(req: http.IncomingMessage, limit = 64 * 1024): Promise<string | undefined> {
  let size = 0;
  const chunks: Buffer[] = [];
  for await (const chunk of req) {
    size += (chunk as Buffer).length;
    if (size > limit) return undefined;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks).toString('utf8');
}

async function handle(sims: Simulators, req: http.IncomingMessage): Promise<{ status: number; body: unknown }> {
  const parts = new URL(req.url ?? '/', 'http://127.0.0.1').pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== 'devices' || parts.length > 3) return { status: 404, body: { ok: false, error: 'NOT_FOUND', message: 'see GET /devices' } };
  if (req.method === 'GET' && parts.length === 1) return { status: 200, body: { ok: true, devices: sims.devices.map((d) => ({ ...d, state: sims.describe(d.id) })) } };
  const id = parts[1];
  if (req.method === 'GET' && parts.length === 2) {
    const state = sims.describe(id);
    return state ? { status: 200, body: { ok: true, state, actions: sims.actions(id) } } : { status: 404, body: unknownDevice(sims, id) };
  }
  if (req.method !== 'POST' || parts.length !== 3) return { status: 405, body: { ok: false, error: 'METHOD', message: 'POST /devices/<id>/<action>' } };
  const text = await readBody(req);
  if (text === undefined) return { status: 413, body: { ok: false, error: 'TOO_LARGE', message: 'body over 64 KiB' } };
  let args: unknown = {};
  if (text.trim() !== '') {
    try {
      args = JSON.parse(text);
    } catch {
      return { status: 400, body: { ok: false, error: 'BAD_ARGS', message: 'the body is not JSON' } };
    }
  }
  const result = await sims.control(id, parts[2], args);
  return { status: result.ok ? 200 : (statusOf[result.error ?? ''] ?? 500), body: result };
}
