/**
 * `courier-gw init`: a working config from a few flags (or prompts on a terminal), validated
 * by the gateway's own config loader before it is written. Passwords are stored only as
 * hashes; a password not given is generated and printed once.
 */
import { randomBytes } from 'node:crypto';
import { mkdir, rename, rm, stat, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { stringify } from 'yaml';
import { hashPassword } from '../core/passwords.js';
import { loadConfig } from '../gateway/config.js';
import { findProtocol } from '../devices/registry.js';
import { UsageError } from './output.js';

export interface InitOptions {
  output: string;
  gatewayId: string;
  kit: string;
  courier?: string;
  dataDir: string;
  /** `<id>=<protocol>@<path>` (serial, HID path) or `<id>=<protocol>@<vendor>:<product>` (HID) */
  devices: string[];
  /** `<id>=<kind>`: devices that speak MQTT themselves (terminals, lockers, the in-van app) */
  mqttDevices: string[];
  dispatchUrl?: string;
  dispatchToken?: string;
  operator?: string;
  operatorPassword?: string;
  devicePassword?: string;
  /** a local tasks file (`{"tasks": [...]}`), relative to the config file */
  tasksFile?: string;
  mqttPort?: number;
  /** MQTT over WebSocket; off unless given */
  wsPort?: number;
  httpPort?: number;
  /** the address to listen on (default every address) */
  host?: string;
  force?: boolean;
}

export interface InitResult {
  file: string;
  /** passwords made here, shown once: who, and the password */
  generated: { who: string; password: string }[];
}

const newPassword = () => randomBytes(12).toString('base64url');

function pair(spec: string, flag: string): [string, string] {
  const i = spec.indexOf('=');
  if (i <= 0 || i === spec.length - 1) throw new UsageError(`${flag} ${spec}: expected <id>=<value>`);
  return [spec.slice(0, i), spec.slice(i + 1)];
}

/** one `--device` to its config entry; the protocol gives the kind and the transport */
export function deviceEntry(spec: string, kit: string): Record<string, unknown> {
  const [id, rest] = pair(spec, '--device');
  const at = rest.indexOf('@');
  const name = at < 0 ? rest : rest.slice(0, at);
  const where = at < 0 ? '' : rest.slice(at + 1);
  const protocol = findProtocol(name);
  if (!protocol) throw new UsageError(`--device ${spec}: unknown protocol "${name}" (courier-gw decode --help lists the codecs; docs/devices.md the protocols)`);
  const type = protocol.transports.find((t) => t !== 'mqtt') ?? protocol.transports[0];
  const transport: Record<string, unknown> = { type };
  const usb = /^([0-9a-fA-F]{4}):([0-9a-fA-F]{4})$/.exec(where);
  if (type === 'hid' && usb) Object.assign(transport, { vendorId: `0x${usb[1]!.toLowerCase()}`, productId: `0x${usb[2]!.toLowerCase()}` });
  else if (where) transport.path = where;
  else if (type === 'serial' || type === 'hid') throw new UsageError(`--device ${spec}: a ${type} device needs @<path>${type === 'hid' ? ' or @<vendor>:<product>' : ''}`);
  return { id, kind: protocol.kind, kit, protocol: protocol.name, transport };
}

export async function runInit(o: InitOptions): Promise<InitResult> {
  const file = path.resolve(o.output);
  if (!o.force && (await stat(file).then(() => true, () => false))) throw new UsageError(`${file} exists; pass --force to replace it`);
  const generated: InitResult['generated'] = [];
  const devices: Record<string, unknown>[] = o.devices.map((d) => deviceEntry(d, o.kit));
  for (const spec of o.mqttDevices) {
    const [id, kind] = pair(spec, '--mqtt-device');
    const password = o.devicePassword ?? newPassword();
    if (!o.devicePassword) generated.push({ who: `device ${id}`, password });
    devices.push({ id, kind, kit: o.kit, transport: { type: 'mqtt' }, credentials: { passwordHash: await hashPassword(password) } });
  }
  const operators: Record<string, unknown>[] = [];
  if (o.operator) {
    const password = o.operatorPassword ?? newPassword();
    if (!o.operatorPassword) generated.push({ who: `operator ${o.operator}`, password });
    operators.push({ username: o.operator, passwordHash: await hashPassword(password) });
  }
  const config: Record<string, unknown> = {
    gateway: { id: o.gatewayId, dataDir: o.dataDir },
    mqtt: { ...(o.host ? { host: o.host } : {}), port: o.mqttPort ?? 1883, wsPort: o.wsPort ?? null },
    http: { ...(o.host ? { host: o.host } : {}), port: o.httpPort ?? 8080 },
    ...(operators.length ? { operators } : {}),
    kits: [{ id: o.kit, ...(o.courier ? { courierId: o.courier } : {}) }],
    devices,
    ...(o.tasksFile ? { tasks: { file: o.tasksFile } } : {}),
    dispatch: o.dispatchUrl ? { transport: 'http', url: o.dispatchUrl, ...(o.dispatchToken ? { token: o.dispatchToken } : {}) } : { transport: 'none' },
  };
  const text = `# courier-gw config written by courier-gw init; see the README for every key\n${stringify(config)}`;
  await mkdir(path.dirname(file), { recursive: true });
  // validated where it will live (relative paths resolve against its folder), then moved in place
  const draft = `${file}.init-${process.pid}`;
  await writeFile(draft, text, { mode: 0o640 });
  try {
    await loadConfig(draft);
    await rename(draft, file);
  } finally {
    await rm(draft, { force: true });
  }
  return { file, generated };
}
