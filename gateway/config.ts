/**
 * The gateway's configuration: one zod schema holds the shape, the defaults and the
 * types. No file at all is a valid config. Errors name the field path.
 */
import { readFile, rename, writeFile } from 'node:fs/promises';
import path from 'node:path';
import { z } from 'zod';
import { deviceKinds, type ProtocolDefinition } from '../devices/driver.js';
import { findProtocol } from '../devices/registry.js';
import { carrierSchemeSchema } from '../devices/scanner/waybill.js';

const port = z.number().int().min(0).max(65535);
const host = z.string().min(1);
const passwordHash = z.string().regex(/^scrypt\$/, 'a hash made by `courier-gw hash-password` (scrypt$...)');
const idString = z.string().regex(/^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$/, 'letters, digits, . _ - (at most 64), no / + #');

/**
 * A device's transport as the gateway sees it: its type. Everything else about it (a
 * serial line's path, baud rate, backoff, ...) belongs to the device's protocol and is
 * checked by the protocol's own schema, with the protocol's defaults.
 */
const transportSchema = z.discriminatedUnion('type', [
  z.strictObject({ type: z.literal('mqtt') }),
  z.looseObject({ type: z.enum(['serial', 'hid', 'ble', 'tcp']) }),
]);

const deviceSchema = z.looseObject({
  id: idString,
  kind: z.enum(deviceKinds as [string, ...string[]]),
  kit: idString,
  protocol: z.string().optional(),
  transport: transportSchema.default({ type: 'mqtt' }),
  credentials: z.strictObject({ passwordHash }).optional(),
});

export const configSchema = z.strictObject({
  gateway: z
    .strictObject({
      id: idString.default('gateway-1'),
      dataDir: z.string().default('./data'),
      logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace']).default('info'),
    })
    .prefault({}),
  mqtt: z
    .strictObject({
      host: host.default('0.0.0.0'),
      port: port.default(1883),
      wsPort: port.nullable().default(9001),
      tls: z.strictObject({ cert: z.string(), key: z.string(), port: port.default(8883) }).optional(),
      /** the largest payload a client may publish, bytes */
      maxPayloadBytes: z.number().int().positive().default(256 * 1024),
      /** per principal (a device over all its connections): sustained messages per second and burst; a client over it is slowed down (its socket is not read) and the excess refused */
      rateLimit: z.strictObject({ perSecond: z.number().positive().default(100), burst: z.number().int().positive().default(200) }).prefault({}),
      /**
       * password checks (scrypt, on libuv's thread pool): at most maxConcurrentChecks at
       * once and maxQueuedChecks waiting, past them a connect is refused (server
       * unavailable); a source address with failuresPerAddress failed logins within
       * failureWindowMs is refused without a check until the window ends
       */
      auth: z
        .strictObject({
          maxConcurrentChecks: z.number().int().positive().default(2),
          maxQueuedChecks: z.number().int().nonnegative().default(16),
          failuresPerAddress: z.number().int().positive().default(20),
          failureWindowMs: z.number().int().positive().default(60_000),
        })
        .prefault({}),
      /**
       * when the gateway takes more than it can serve: messages waiting for delivery and
       * verdicts / records under way may reach these bounds, the event loop may lag
       * maxLagMs; past them a client sending over fairPerSecond is refused OVERLOADED
       */
      overload: z
        .strictObject({
          maxQueued: z.number().int().positive().default(5000),
          maxInFlight: z.number().int().positive().default(2000),
          maxLagMs: z.number().positive().default(200),
          fairPerSecond: z.number().positive().default(5),
          fairBurst: z.number().int().positive().default(20),
        })
        .prefault({}),
    })
    .prefault({}),
  http: z
    .strictObject({
      host: host.default('0.0.0.0'),
      port: port.default(8080),
      /** HTTPS with mqtt.tls's certificate and key (the dashboard's cookie is then Secure) */
      tls: z.boolean().default(false),
      /** /metrics answers without a session or token (a Prometheus scraper on a trusted network) */
      publicMetrics: z.boolean().default(false),
      /** bearer tokens of operator tools (`Authorization: Bearer <token>`), hashed like passwords */
      apiTokens: z.array(z.strictObject({ name: idString, tokenHash: passwordHash })).default([]),
    })
    .prefault({}),
  operators: z.array(z.strictObject({ username: idString, passwordHash })).default([]),
  kits: z.array(z.strictObject({ id: idString, courierId: z.string().optional() })).default([]),
  devices: z.array(deviceSchema).default([]),
  dispatch: z
    .strictObject({
      transport: z.enum(['http', 'mqtt', 'none']).default('none'),
      url: z.string().optional(),
      /** MQTT bridge on a broker cluster: its nodes' URLs, failed over in turn (instead of url) */
      urls: z.array(z.string().regex(/^mqtts?:\/\/[^/]+/, 'mqtt://host:port or mqtts://host:port')).min(1).optional(),
      token: z.string().optional(),
      username: z.string().optional(),
      password: z.string().optional(),
      /** MQTT bridge: a batch dispatch has not acknowledged within this long is sent again */
      ackTimeoutMs: z.number().int().positive().default(30_000),
    })
    .prefault({}),
  rules: z
    .looseObject({
      /** the rule-set folder; the shipped pickup set by default */
      dir: z.string().optional(),
      /** what an unknown task means */
      unknownTask: z.enum(['review', 'reject']).default('review'),
      pairingWindowMs: z.number().int().positive().default(30_000),
      /** carrier waybill schemes that win over guessing: { name, pattern, checkDigit } */
      carriers: z.array(carrierSchemeSchema).optional(),
    })
    .prefault({}),
  tasks: z
    .looseObject({
      file: z.string().optional(),
      /** a task of dispatch with no answer from its courier this long is signalled again and reported task.unacknowledged */
      unacknowledgedMs: z.number().int().positive().default(120_000),
    })
    .prefault({}),
  journal: z.looseObject({ quotaBytes: z.number().int().positive().optional() }).prefault({}),
  eta: z.looseObject({}).prefault({}),
  /** HID and BLE devices served by a device simulator (`courier-gw sim devices`) instead of node-hid / noble */
  simTransport: z.string().regex(/^tcp:\/\/[^/]+:\d+$/, 'tcp://host:port of a device simulator').optional(),
  /** a simulated clock for scenario runs: sim time = simStart + (now - realStart) * factor */
  simulation: z
    .strictObject({ simStart: z.number(), realStart: z.number(), factor: z.number().positive().max(10_000) })
    .optional(),
  lockers: z.looseObject({}).prefault({}),
  /** camera images (`events/image`), decoded in the image worker */
  images: z
    .strictObject({
      /** the barcode search in one image begins no read that would end later than this, ms */
      budgetMs: z.number().int().positive().max(5000).default(200),
    })
    .prefault({}),
});

export type Config = z.infer<typeof configSchema>;
export type DeviceEntry = z.infer<typeof deviceSchema>;

/**
 * What a valid config may still get wrong, each naming the field: a device whose kit is not
 * under `kits:` (its verdicts go to a kit no courier is on). Logged at start; doctor shows them.
 */
export function configWarnings(config: Config): { path: string; message: string }[] {
  if (config.kits.length === 0) return [];
  const kits = new Set(config.kits.map((k) => k.id));
  return config.devices.flatMap((d, i) =>
    kits.has(d.kit) ? [] : [{ path: `devices[${i}].kit`, message: `kit "${d.kit}" of device ${d.id} is not listed under kits: (${[...kits].join(', ')})` }],
  );
}

export class ConfigError extends Error {
  override readonly name = 'ConfigError';
  constructor(readonly problems: { path: string; message: string }[], readonly file?: string) {
    super(
      `invalid config${file ? ` (${file})` : ''}:\n` + problems.map((p) => `  ${p.path}: ${p.message}`).join('\n'),
    );
  }
}

function pathOf(parts: readonly PropertyKey[]): string {
  let out = '';
  for (const p of parts) out += typeof p === 'number' ? `[${p}]` : out ? `.${String(p)}` : String(p);
  return out || '(root)';
}

function describeIssue(issue: z.core.$ZodIssue): string {
  if (issue.code === 'invalid_type') return `expected ${issue.expected}${'input' in issue ? `, got ${JSON.stringify(issue.input)}` : ''}`;
  return issue.message;
}

/** A device entry checked by its protocol's own schema: the parsed options, or undefined with the problems added. */
function protocolOptions(protocol: ProtocolDefinition, entry: unknown, at: string, problems: { path: string; message: string }[]): object | undefined {
  const options = protocol.options.safeParse(entry);
  if (options.success) return options.data as object;
  for (const i of options.error.issues) problems.push({ path: `${at}.${pathOf(i.path)}`, message: describeIssue(i) });
  return undefined;
}

/** Validates a parsed config object; cross-field rules after the schema. */
export function parseConfig(
  input: unknown,
  options: { file?: string; findProtocol?: (name: string) => ProtocolDefinition | undefined } = {},
): Config {
  const { file } = options;
  const lookup = options.findProtocol ?? findProtocol;
  const result = configSchema.safeParse(input ?? {});
  if (!result.success) {
    const problems = result.error.issues.map((i) => ({ path: pathOf(i.path), message: describeIssue(i) }));
    // each device's own keys are its protocol's: report them in the same pass
    const raw = (input as { devices?: unknown } | null | undefined)?.devices;
    if (Array.isArray(raw)) {
      raw.forEach((d: unknown, i) => {
        const name = (d as { protocol?: unknown } | null)?.protocol;
        const protocol = typeof name === 'string' ? lookup(name) : undefined;
        if (protocol) protocolOptions(protocol, d, `devices[${i}]`, problems);
      });
    }
    throw new ConfigError(problems, file);
  }
  const config = result.data;
  const problems: { path: string; message: string }[] = [];
  const seen = new Map<string, number>();
  config.devices.forEach((d, i) => {
    const at = `devices[${i}]`;
    if (seen.has(d.id)) problems.push({ path: `${at}.id`, message: `duplicate device id "${d.id}" (also devices[${seen.get(d.id)}])` });
    seen.set(d.id, i);
    if (config.operators.some((o) => o.username === d.id)) problems.push({ path: `${at}.id`, message: `"${d.id}" is also an operator username` });
    if (d.transport.type === 'mqtt') {
      if (!d.credentials) problems.push({ path: `${at}.credentials`, message: 'an MQTT device needs credentials.passwordHash' });
      return;
    }
    if (!d.protocol) {
      problems.push({ path: `${at}.protocol`, message: `a ${d.transport.type} device needs a protocol` });
      return;
    }
    const protocol = lookup(d.protocol);
    if (!protocol) {
      problems.push({ path: `${at}.protocol`, message: `unknown protocol "${d.protocol}"` });
      return;
    }
    if (protocol.kind !== d.kind) problems.push({ path: `${at}.kind`, message: `protocol ${protocol.name} is for kind ${protocol.kind}` });
    if (!protocol.transports.includes(d.transport.type)) {
      problems.push({ path: `${at}.transport.type`, message: `protocol ${protocol.name} runs over ${protocol.transports.join(' or ')}` });
    }
    const parsed = protocolOptions(protocol, d, at, problems);
    // the entry carries its protocol's defaults (transport included) from here on
    if (parsed) Object.assign(d, parsed);
  });
  if (config.http.tls && !config.mqtt.tls) problems.push({ path: 'http.tls', message: 'HTTPS uses mqtt.tls.cert and mqtt.tls.key: set them' });
  const dispatch = config.dispatch;
  if (dispatch.urls !== undefined && dispatch.transport !== 'mqtt') problems.push({ path: 'dispatch.urls', message: 'a list of broker URLs is for dispatch.transport mqtt' });
  if (dispatch.urls !== undefined && dispatch.url !== undefined) problems.push({ path: 'dispatch.urls', message: 'set url or urls, not both' });
  if (dispatch.transport !== 'none' && !dispatch.url && dispatch.urls === undefined) {
    problems.push({ path: 'dispatch.url', message: `required when dispatch.transport is ${dispatch.transport}` });
  }
  if (problems.length > 0) throw new ConfigError(problems, file);
  return config;
}

export interface ConfigOverrides {
  mqttPort?: number;
  wsPort?: number | null;
  httpPort?: number;
  dataDir?: string;
  host?: string;
}

const PATCH_FILE = 'config-patch.json';

function mergeDeep(target: Record<string, unknown>, patch: Record<string, unknown>): Record<string, unknown> {
  const out: Record<string, unknown> = { ...target };
  for (const [k, v] of Object.entries(patch)) {
    const cur = out[k];
    out[k] = v && typeof v === 'object' && !Array.isArray(v) && cur && typeof cur === 'object' && !Array.isArray(cur) ? mergeDeep(cur as Record<string, unknown>, v as Record<string, unknown>) : v;
  }
  return out;
}

/** Keeps a config patch from dispatch (already checked against the whitelist) for the next start. */
export async function saveConfigPatch(dataDir: string, patch: Record<string, unknown>): Promise<void> {
  const file = path.join(dataDir, PATCH_FILE);
  let current: Record<string, unknown> = {};
  try {
    current = JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>;
  } catch {
    current = {};
  }
  const tmp = `${file}.tmp`;
  await writeFile(tmp, JSON.stringify(mergeDeep(current, patch), null, 2));
  await rename(tmp, file);
}

/** A .json file is JSON; anything else is YAML, whose parser loads only then. */
async function parseConfigText(file: string, text: string): Promise<unknown> {
  if (path.extname(file).toLowerCase() === '.json') return JSON.parse(text) as unknown;
  const { parse } = await import('yaml');
  return parse(text) as unknown;
}

/**
 * A YAML syntax error without the source excerpt the parser adds: the line may hold a
 * password or a token. Where it is (line, column) and what is wrong is enough to fix it.
 */
function yamlProblem(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  const reason = message.split('\n')[0]!.replace(/ at line \d+, column \d+:?$/, '');
  const pos = (err as { linePos?: { line: number; col: number }[] }).linePos?.[0];
  return pos ? `${reason} (line ${pos.line}, column ${pos.col})` : reason;
}

/** Reads the YAML (or JSON) file, validates it, applies overrides; relative paths resolve against the file's folder. */
export async function loadConfig(file?: string, overrides: ConfigOverrides = {}): Promise<Config> {
  let raw: unknown = {};
  let base = process.cwd();
  if (file) {
    let text: string;
    try {
      text = await readFile(file, 'utf8');
    } catch (err) {
      throw new ConfigError([{ path: '(file)', message: `cannot read: ${(err as Error).message}` }], file);
    }
    try {
      raw = (await parseConfigText(file, text)) ?? {};
    } catch (err) {
      throw new ConfigError([{ path: '(file)', message: `not valid YAML/JSON: ${yamlProblem(err)}` }], file);
    }
    base = path.dirname(path.resolve(file));
  }
  let config = parseConfig(raw, { file });
  const dataDirOf = (c: Config) => path.resolve(base, overrides.dataDir ?? c.gateway.dataDir);
  try {
    const patch = JSON.parse(await readFile(path.join(dataDirOf(config), PATCH_FILE), 'utf8')) as Record<string, unknown>;
    config = parseConfig(mergeDeep(raw as Record<string, unknown>, patch), { file: `${file ?? 'defaults'} + ${PATCH_FILE}` });
  } catch (err) {
    if (err instanceof ConfigError) throw err;
  }
  if (overrides.mqttPort !== undefined) config.mqtt.port = overrides.mqttPort;
  if (overrides.wsPort !== undefined) config.mqtt.wsPort = overrides.wsPort;
  if (overrides.httpPort !== undefined) config.http.port = overrides.httpPort;
  if (overrides.host !== undefined) {
    config.mqtt.host = overrides.host;
    config.http.host = overrides.host;
  }
  if (overrides.dataDir !== undefined) config.gateway.dataDir = overrides.dataDir;
  config.gateway.dataDir = path.resolve(base, config.gateway.dataDir);
  if (config.rules.dir) config.rules.dir = path.resolve(base, config.rules.dir);
  if (config.tasks.file) config.tasks.file = path.resolve(base, config.tasks.file);
  if (config.mqtt.tls) {
    config.mqtt.tls.cert = path.resolve(base, config.mqtt.tls.cert);
    config.mqtt.tls.key = path.resolve(base, config.mqtt.tls.key);
  }
  return config;
}
