/**
 * The live operations dashboard: operator login, a snapshot API and a server-sent-events
 * stream of every bus message, served on the gateway's HTTP side. It reads the gateway
 * only through public things: the broker's general feed, the device list, the active
 * alarms and the config.
 */
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import type http from 'node:http';
import type { Logger } from 'pino';
import type { Gateway } from '../runtime.js';
import { hashPassword, verifyPassword } from '../../core/passwords.js';
import { topicFilters } from '../../core/topics.js';
import { defaultEtaOptions } from '../../eta/index.js';
import { readJournal } from '../../cloud-sync/journal/read.js';
import { BusEntry, LiveState, type Snapshot } from './live-state.js';
import { LoginThrottle, SessionStore, type Session } from './sessions.js';
import { SseStream } from './sse.js';
import { secretScanners, type SecretScanners } from './redact.js';
import { BodyError, clearedCookie, readCookie, readFields, redirect, sameOrigin, sendJson, sendText, sessionCookie, SECURITY_HEADERS } from './http-helpers.js';
import { DayFigures } from './day.js';
import { PAGE_HTML } from './assets/page.js';
import { PAGE_JS } from './assets/script.js';
import { PAGE_CSS } from './assets/style.js';

export interface DashboardOptions {
  /** where the dashboard lives on the HTTP side; default /dashboard */
  basePath?: string;
  /** a session unused this long expires (an open page keeps it used); default 30 min */
  sessionIdleMs?: number;
  /** a session ends this long after login; default 12 h */
  sessionMaxAgeMs?: number;
  /** default 200 */
  maxSessions?: number;
  /** every refused login is answered this late; default 500 ms */
  failureDelayMs?: number;
  /** refused logins per address and user name before that pair is blocked; default 3 */
  freeFailures?: number;
  /** the first block, doubled at each further failure up to 5 min; default 2 s */
  baseBlockMs?: number;
  /**
   * refused logins for one user name, from any address, before each further try of that
   * name must wait (1 s, doubled at each failure, at most 1 min): slows guessing from many
   * addresses without a lockout a stranger could impose on the operator; default 10
   */
  accountFreeFailures?: number;
  /** events queued per browser while its socket is full; default 500 */
  streamQueue?: number;
  /** bytes queued per browser while its socket is full; default 1 MiB */
  streamQueueBytes?: number;
  /** concurrent streams; default 32 */
  maxStreams?: number;
  /** keep-alive comment and session check on every stream; default 15 s */
  heartbeatMs?: number;
  /** how often device counters (faults, last reading), the charts and the day's figures are re-sent when they changed; default 2 s */
  deviceRefreshMs?: number;
  /** the charts' time bucket; default 10 s (an hour of them is kept) */
  chartBucketMs?: number;
  /** verdicts kept per kit for new browsers; default 50 */
  verdictsPerKit?: number;
  /** bus messages kept for new browsers; default 100 */
  activity?: number;
  /** mark the cookie Secure (behind HTTPS); default: when the gateway's HTTP side is HTTPS (`http.tls`) */
  secureCookie?: boolean;
  now?: () => number;
}

const COOKIE = 'cg_dashboard';

/** the chart library's files (uPlot, from its package), read at the first page that asks */
const library = new Map<string, Promise<string>>();
function chartLibrary(file: string): Promise<string> {
  let text = library.get(file);
  if (!text) library.set(file, (text = readFile(createRequire(import.meta.url).resolve(`uplot/dist/${file}`), 'utf8')));
  return text;
}
const BUS_FEED = topicFilters.all;

interface Client {
  stream: SseStream;
  token: string;
  username: string;
}

export class Dashboard {
  readonly basePath: string;
  private readonly o: Required<Omit<DashboardOptions, 'basePath' | 'now'>>;
  private readonly now: () => number;
  private readonly log: Logger;
  private readonly sessions: SessionStore;
  private readonly throttle: LoginThrottle;
  private readonly accountThrottle: LoginThrottle;
  private readonly state: LiveState;
  private readonly clients = new Set<Client>();
  private unsubscribe: (() => void) | undefined;
  private timers: NodeJS.Timeout[] = [];
  private lastDevices = '';
  private lastLive = '';
  private readonly figures = new DayFigures();
  private dummyHash: Promise<string> | undefined;
  private stopped = false;
  private readonly scanners: SecretScanners;
  
  constructor(private readonly gateway: Gateway, options: DashboardOptions = {}) {
    this.basePath = (options.basePath ?? '/dashboard').replace(/\/+$/, '');
    this.now = options.now ?? Date.now;
    this.o = {
      sessionIdleMs: options.sessionIdleMs ?? 30 * 60_000,
      sessionMaxAgeMs: options.sessionMaxAgeMs ?? 12 * 3_600_000,
      maxSessions: options.maxSessions ?? 200,
      failureDelayMs: options.failureDelayMs ?? 500,
      freeFailures: options.freeFailures ?? 3,
      baseBlockMs: options.baseBlockMs ?? 2_000,
      accountFreeFailures: options.accountFreeFailures ?? 10,
      streamQueue: options.streamQueue ?? 500,
      streamQueueBytes: options.streamQueueBytes ?? 1024 * 1024,
      maxStreams: options.maxStreams ?? 32,
      heartbeatMs: options.heartbeatMs ?? 15_000,
      deviceRefreshMs: options.deviceRefreshMs ?? 2_000,
      verdictsPerKit: options.verdictsPerKit ?? 50,
      activity: options.activity ?? 100,
      chartBucketMs: options.chartBucketMs ?? 10_000,
      secureCookie: options.secureCookie ?? gateway.http.secure,
    };
    this.log = gateway.log.child({ component: 'dashboard' });
    this.sessions = new SessionStore({ idleMs: this.o.sessionIdleMs, maxAgeMs: this.o.sessionMaxAgeMs, maxSessions: this.o.maxSessions, now: this.now });
    this.throttle = new LoginThrottle({
      freeFailures: this.o.freeFailures,
      baseBlockMs: this.o.baseBlockMs,
      maxBlockMs: 5 * 60_000,
      forgetMs: 15 * 60_000,
      maxKeys: 10_000,
      now: this.now,
    });
    this.scanners = secretScanners(gateway.config.devices);
    this.accountThrottle = new LoginThrottle({
      freeFailures: this.o.accountFreeFailures,
      baseBlockMs: 1_000,
      maxBlockMs: 60_000,
      forgetMs: 15 * 60_000,
      maxKeys: 10_000,
      now: this.now,
    });
    const sim = (gateway.config as { simulation?: { factor?: unknown } }).simulation;
    const eta = gateway.config.eta as { geofenceM?: unknown };
    this.state = new LiveState({
      verdictsPerKit: this.o.verdictsPerKit,
      activity: this.o.activity,
      chartBucketMs: this.o.chartBucketMs,
      scanners: this.scanners,
      geofenceM: typeof eta.geofenceM === 'number' ? eta.geofenceM : defaultEtaOptions.geofenceM,
      clockFactor: typeof sim?.factor === 'number' && sim.factor > 0 ? sim.factor : 1,
    });
  }

  /** Registers the routes on the gateway's HTTP side. */
  mount(): void {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => this.handle(req, res, url);
    // the page, its assets and the login are open; the API checks the session itself
    this.gateway.http.route(this.basePath, handler, { access: 'public' });
    this.gateway.http.route(`${this.basePath}/*`, handler, { access: 'public' });
    this.gateway.http.addAuthenticator((req) => {
      if (this.stopped) return undefined;
      const session = this.sessions.touch(readCookie(req, COOKIE));
      return session ? { via: 'session', name: session.username } : undefined;
    });
  }

  /** Subscribes to the bus; the broker must be running. */
  async start(): Promise<void> {
    this.stopped = false;
    this.unsubscribe = this.gateway.broker.subscribe(BUS_FEED, (topic, payload) => this.onMessage(topic, payload), { retained: true });
    this.gateway.bus.on('dashboard', 'record-kept', (r) => {
      this.figures.add(r);
      this.state.record(r);
    });
    this.timers = [
      setInterval(() => this.heartbeat(), this.o.heartbeatMs),
      setInterval(() => {
        this.sampleJournal();
        this.refreshDevices();
        this.refreshLive();
      }, this.o.deviceRefreshMs),
    ];
    for (const t of this.timers) t.unref();
  }

  async stop(): Promise<void> {
    this.stopNow();
  }

  stopNow(): void {
    this.stopped = true;
    this.unsubscribe?.();
    this.unsubscribe = undefined;
    this.gateway.bus.off('dashboard');
    for (const t of this.timers) clearInterval(t);
    this.timers = [];
    for (const c of this.clients) c.stream.close();
    this.clients.clear();
    this.sessions.clear();
  }

  status(): Record<string, unknown> {
    let dropped = 0;
    for (const c of this.clients) dropped += c.stream.dropped;
    return { sessions: this.sessions.size, streams: this.clients.size, failedLogins: this.throttle.failedTotal, droppedEvents: dropped };
  }

  private onMessage(topic: string, raw: Buffer): void {
    const message = new BusEntry(topic, raw, this.now(), this.scanners);
    this.state.apply(message, Date.now());
    if (this.clients.size === 0) return;
    const json = JSON.stringify(message);
    for (const c of this.clients) c.stream.sendSerialized('bus', json);
  }

  private heartbeat(): void {
    for (const c of [...this.clients]) {
      if (!this.sessions.touch(c.token)) {
        c.stream.send('expired', { reason: 'session expired' });
        c.stream.close();
        this.clients.delete(c);
      } else c.stream.comment('ping');
    }
  }

  private refreshDevices(): void {
    if (this.clients.size === 0 || !this.gateway.devices) return;
    const { devices, alarms } = this.snapshot('');
    const text = JSON.stringify({ devices, alarms });
    if (text === this.lastDevices) return;
    this.lastDevices = text;
    for (const c of this.clients) c.stream.sendSerialized('devices', text);
  }

  /** the journal's backlog and acknowledged count for the charts */
  private sampleJournal(): void {
    const s = this.gateway.components.find((c) => c.name === 'journal')?.status?.() as { depth?: Record<string, number>; acked?: number } | undefined;
    if (!s?.depth) return;
    const backlog = Object.values(s.depth).reduce((a, b) => a + b, 0);
    this.state.series.journal(Date.now(), backlog, typeof s.acked === 'number' ? s.acked : 0);
  }

  /** the charts, the day's figures, ETAs and exceptions, re-sent when they changed */
  private refreshLive(): void {
    if (this.clients.size === 0) return;
    const text = JSON.stringify(this.state.live(Date.now(), this.figures.report()));
    if (text === this.lastLive) return;
    this.lastLive = text;
    for (const c of this.clients) c.stream.sendSerialized('live', text);
  }

  private snapshot(operator: string): Snapshot {
    const { config } = this.gateway;
    // the journal's earlier records of the day are read once, for the first browser
    void this.figures.seed((each) => readJournal(config.gateway.dataDir, each), this.log);
    return this.state.snapshot({
      gatewayId: config.gateway.id,
      operator,
      at: new Date(this.now()).toISOString(),
      devices: this.gateway.devices?.list() ?? [],
      alarms: this.gateway.activeAlarms(),
      kits: config.kits,
      now: Date.now(),
      figures: this.figures.report(),
    });
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse, url: URL): Promise<void> {
    if (this.stopped) return sendJson(res, 503, { error: 'dashboard stopped' });
    const sub = url.pathname.slice(this.basePath.length);
    const get = req.method === 'GET' || req.method === 'HEAD';
    if (sub === '') return redirect(res, `${this.basePath}/`);
    if (get && (sub === '/' || sub === '/index.html')) return sendText(res, 200, 'text/html', PAGE_HTML);
    if (get && sub === '/app.js') return sendText(res, 200, 'text/javascript', PAGE_JS);
    if (get && sub === '/app.css') return sendText(res, 200, 'text/css', PAGE_CSS);
    if (get && sub === '/uplot.js') return sendText(res, 200, 'text/javascript', await chartLibrary('uPlot.iife.min.js'));
    if (get && sub === '/uplot.css') return sendText(res, 200, 'text/css', await chartLibrary('uPlot.min.css'));
    if (sub === '/api/login') return req.method === 'POST' ? this.login(req, res) : sendJson(res, 405, { error: 'use POST' }, { allow: 'POST' });
    if (sub === '/api/logout') return req.method === 'POST' ? this.logout(req, res) : sendJson(res, 405, { error: 'use POST' }, { allow: 'POST' });
    if (!sub.startsWith('/api/')) return sendJson(res, 404, { error: 'not found', path: url.pathname });
    const token = readCookie(req, COOKIE);
    const session = this.sessions.touch(token);
    if (!session || !token) return sendJson(res, 401, { error: 'login required' });
    if (!get) return sendJson(res, 405, { error: 'use GET' }, { allow: 'GET' });
    if (sub === '/api/session') return sendJson(res, 200, { username: session.username, expiresAt: new Date(this.sessions.expiresAt(session)).toISOString() });
    if (sub === '/api/snapshot') return sendJson(res, 200, this.snapshot(session.username));
    if (sub.startsWith('/api/devices/')) return this.devicePage(res, decodeURIComponent(sub.slice('/api/devices/'.length)));
    if (sub === '/api/stream') return req.method === 'GET' ? this.openStream(req, res, token, session) : sendJson(res, 405, { error: 'use GET' }, { allow: 'GET' });
    return sendJson(res, 404, { error: 'not found', path: url.pathname });
  }

  /** one device for its page: its recent bus messages (redacted) and, for a driver-run device, the raw frames its transport carried */
  private devicePage(res: http.ServerResponse, id: string): void {
    const known = this.gateway.config.devices.some((d) => d.id === id);
    if (!known) return sendJson(res, 404, { error: 'no such device', device: id });
    // a locker terminal's bytes may carry the collection codes typed on it: never shown raw
    const withheld = this.scanners.has(id);
    const raw = withheld ? undefined : this.gateway.devices?.frames(id);
    sendJson(res, 200, { id, messages: this.state.deviceMessages(id), frames: raw ? raw.frames : null, framesTotal: raw ? raw.total : 0, ...(withheld ? { framesWithheld: 'a terminal may carry collection codes' } : {}) });
  }

  private async login(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    if (!sameOrigin(req)) return sendJson(res, 403, { error: 'cross-origin login refused' });
    let fields: Record<string, string>;
    let form: boolean;
    try {
      ({ fields, form } = await readFields(req, 4096));
    } catch (err) {
      const status = err instanceof BodyError ? err.status : 400;
      return sendJson(res, status, { error: (err as Error).message });
    }
    const username = (fields.username ?? '').trim();
    const password = fields.password ?? '';
    const remote = req.socket.remoteAddress ?? 'unknown';
    const key = `${remote}|${username.toLowerCase()}`;
    const account = username.toLowerCase();
    const wait = Math.max(this.throttle.retryAfterMs(key), this.accountThrottle.retryAfterMs(account));
    if (wait > 0) {
      const retryS = Math.ceil(wait / 1000);
      this.log.warn({ username, remote, retryS }, 'dashboard login blocked after repeated failures');
      if (form) return redirect(res, `${this.basePath}/?login=blocked`);
      return sendJson(res, 429, { error: 'too many failed logins', retryAfterS: retryS }, { 'retry-after': String(retryS) });
    }
    const operator = this.gateway.config.operators.find((o) => o.username === username);
    // an unknown user costs the same scrypt as a known one
    const hash = operator?.passwordHash ?? (await (this.dummyHash ??= hashPassword(randomBytes(16).toString('hex'))));
    const ok = (await verifyPassword(password, hash)) && operator !== undefined && username !== '';
    if (!ok) {
      const failures = this.throttle.fail(key);
      this.accountThrottle.fail(account);
      this.log.warn({ username, remote, failures }, 'dashboard login refused');
      await new Promise((resolve) => setTimeout(resolve, this.o.failureDelayMs));
      if (form) return redirect(res, `${this.basePath}/?login=failed`);
      return sendJson(res, 401, { error: 'wrong user name or password' });
    }
    this.throttle.succeed(key);
    this.accountThrottle.succeed(account);
    const token = this.sessions.create(username);
    this.log.info({ operator: username, remote }, 'dashboard login');
    const cookie = sessionCookie(COOKIE, token, { path: '/', maxAgeS: Math.floor(this.o.sessionMaxAgeMs / 1000), secure: this.o.secureCookie });
    if (form) return redirect(res, `${this.basePath}/`, { 'set-cookie': cookie });
    sendJson(res, 200, { username }, { 'set-cookie': cookie });
  }

  private logout(req: http.IncomingMessage, res: http.ServerResponse): void {
    if (!sameOrigin(req)) return sendJson(res, 403, { error: 'cross-origin logout refused' });
    const token = readCookie(req, COOKIE);
    const session = this.sessions.peek(token);
    this.sessions.destroy(token);
    for (const c of [...this.clients]) {
      if (c.token === token) {
        c.stream.send('expired', { reason: 'logged out' });
        c.stream.close();
        this.clients.delete(c);
      }
    }
    if (session) this.log.info({ operator: session.username }, 'dashboard logout');
    res.writeHead(204, { ...SECURITY_HEADERS, 'set-cookie': clearedCookie(COOKIE, { path: '/', secure: this.o.secureCookie }), 'cache-control': 'no-store' });
    res.end();
  }

  private openStream(req: http.IncomingMessage, res: http.ServerResponse, token: string, session: Session): void {
    if (this.clients.size >= this.o.maxStreams) return sendJson(res, 503, { error: 'too many open dashboards' }, { 'retry-after': '10' });
    res.writeHead(200, {
      ...SECURITY_HEADERS,
      'content-type': 'text/event-stream; charset=utf-8',
      'cache-control': 'no-store',
      connection: 'keep-alive',
      'x-accel-buffering': 'no',
    });
    res.flushHeaders();
    req.socket.setNoDelay(true);
    const stream = new SseStream(res, { maxQueued: this.o.streamQueue, maxQueuedBytes: this.o.streamQueueBytes });
    const client: Client = { stream, token, username: session.username };
    this.clients.add(client);
    res.on('close', () => {
      stream.detach();
      this.clients.delete(client);
    });
    stream.preamble('retry: 3000');
    stream.send('snapshot', this.snapshot(session.username));
  }
}
