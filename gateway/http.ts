/**
 * The gateway's HTTP side (HTTPS with `http.tls`): /healthz (JSON, 200 or 503 naming what
 * failed), /metrics (Prometheus text), and the routes other components add (dashboard,
 * APIs). Every route needs an operator — a dashboard session or a bearer token — unless
 * it is added as public; /healthz is public but tells a stranger only up / degraded /
 * failing and which part fails, and /metrics is public only with `http.publicMetrics`.
 */
import { readFile } from 'node:fs/promises';
import http from 'node:http';
import https from 'node:https';
import type { Logger } from 'pino';
import { closeServer, listen } from './listen.js';
import { ApiTokens, bearerToken, type ApiToken, type Authenticator, type HttpPrincipal } from './http-auth.js';

export type Route = (req: http.IncomingMessage, res: http.ServerResponse, url: URL, caller: HttpPrincipal | undefined) => Promise<void> | void;

export interface RouteOptions {
  /** `operator` (default): a session or a token is needed; `public`: the route checks for itself */
  access?: 'operator' | 'public';
}

export interface HealthResult {
  ok: boolean;
  /** working, but not as well as it should (overloaded): /healthz says `degraded` with 200 */
  degraded?: boolean;
  detail?: unknown;
}

export interface HealthCheck {
  name: string;
  check(): Promise<HealthResult> | HealthResult;
}

export interface HttpServerOptions {
  log: Logger;
  metricsText: () => Promise<string>;
  /** what /healthz adds for an operator (devices, alarms, components) */
  info: () => Record<string, unknown>;
  /** bearer tokens of operator tools */
  apiTokens?: readonly ApiToken[];
  /** /metrics without auth */
  publicMetrics?: boolean;
  /** HTTPS with this certificate and key (PEM files) */
  tls?: { cert: string; key: string };
}

interface Registered {
  handler: Route;
  access: 'operator' | 'public';
}

export class HttpServer {
  private server: http.Server | undefined;
  private readonly routes = new Map<string, Registered>();
  private readonly prefixes: [string, Registered][] = [];
  private readonly checks: HealthCheck[] = [];
  private readonly authenticators: Authenticator[] = [];
  private readonly tokens: ApiTokens;
  private readonly log: Logger;
  port: number | undefined;

  constructor(private readonly o: HttpServerOptions) {
    this.log = o.log;
    this.tokens = new ApiTokens(o.apiTokens ?? []);
    this.route('/healthz', (_req, res, _url, caller) => this.health(res, caller), { access: 'public' });
    this.route(
      '/metrics',
      async (_req, res) => {
        res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
        res.end(await this.o.metricsText());
      },
      { access: o.publicMetrics ? 'public' : 'operator' },
    );
  }

  /** true when the HTTP side speaks HTTPS */
  get secure(): boolean {
    return this.o.tls !== undefined;
  }

  route(path: string, handler: Route, options: RouteOptions = {}): void {
    const entry: Registered = { handler, access: options.access ?? 'operator' };
    if (path.endsWith('/*')) this.prefixes.push([path.slice(0, -1), entry]);
    else this.routes.set(path, entry);
  }

  /** Another way to prove an operator (the dashboard's session cookie). */
  addAuthenticator(authenticate: Authenticator): void {
    this.authenticators.push(authenticate);
  }

  addHealthCheck(check: HealthCheck): void {
    this.checks.push(check);
  }

  /** The operator behind a request: a valid bearer token, else a session; `busy` when tokens cannot be checked now. */
  async authenticate(req: http.IncomingMessage): Promise<HttpPrincipal | undefined | 'busy'> {
    const token = bearerToken(req);
    if (token !== undefined) {
      const found = await this.tokens.check(token);
      if (found === 'busy') return 'busy';
      if (found) return { via: 'token', name: found.name };
    }
    for (const a of this.authenticators) {
      const p = a(req);
      if (p) return p;
    }
    return undefined;
  }

  async start(port: number, host: string): Promise<void> {
    const handler = (req: http.IncomingMessage, res: http.ServerResponse) => void this.handle(req, res);
    if (this.o.tls) {
      const [cert, key] = await Promise.all([readFile(this.o.tls.cert), readFile(this.o.tls.key)]);
      this.server = https.createServer({ cert, key }, handler);
    } else this.server = http.createServer(handler);
    this.port = await listen(this.server, port, host, this.o.tls ? 'HTTPS' : 'HTTP');
    this.log.info({ port: this.port, host, tls: this.secure }, 'http listening');
  }

  async stop(): Promise<void> {
    if (this.server) await closeServer(this.server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = this.routes.get(url.pathname) ?? this.prefixes.find(([p]) => url.pathname.startsWith(p))?.[1];
    try {
      if (!route) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found', path: url.pathname }));
        return;
      }
      const caller = await this.authenticate(req);
      if (caller === 'busy') {
        res.writeHead(503, { 'content-type': 'application/json', 'retry-after': '1' }).end(JSON.stringify({ error: 'too many token checks at once' }));
        return;
      }
      if (route.access === 'operator' && !caller) {
        res.writeHead(401, { 'content-type': 'application/json', 'www-authenticate': 'Bearer' }).end(JSON.stringify({ error: 'an operator session or a bearer token is needed' }));
        return;
      }
      await route.handler(req, res, url, caller);
    } catch (err) {
      this.log.error({ err, path: url.pathname }, 'http handler failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'internal error' }));
    }
  }

  /** Status and the failing parts for anyone; the checks' details, devices and components for an operator. */
  private async health(res: http.ServerResponse, caller: HttpPrincipal | undefined): Promise<void> {
    const parts: Record<string, unknown> = {};
    const failed: string[] = [];
    const degraded: string[] = [];
    for (const c of this.checks) {
      try {
        const r = await c.check();
        parts[c.name] = { ok: r.ok, ...(r.degraded ? { degraded: true } : {}), ...(r.detail === undefined ? {} : { detail: r.detail }) };
        if (!r.ok) failed.push(c.name);
        else if (r.degraded) degraded.push(c.name);
      } catch (err) {
        parts[c.name] = { ok: false, detail: (err as Error).message };
        failed.push(c.name);
      }
    }
    const status = failed.length > 0 ? 'failing' : degraded.length > 0 ? 'degraded' : 'ok';
    const summary = { status, failed, ...(degraded.length > 0 ? { degraded } : {}) };
    const body = caller ? { ...summary, checks: parts, ...this.o.info() } : summary;
    res.writeHead(failed.length === 0 ? 200 : 503, { 'content-type': 'application/json', 'cache-control': 'no-store' }).end(JSON.stringify(body));
  }
}

/** Reads a JSON request body with a size limit. */
export function readJson(req: http.IncomingMessage, limitBytes = 1024 * 1024): Promise<unknown> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    req.on('data', (c: Buffer) => {
      size += c.length;
      if (size > limitBytes) {
        reject(new Error(`body over ${limitBytes} bytes`));
        req.destroy();
      } else chunks.push(c);
    });
    req.on('end', () => {
      try {
        resolve(chunks.length ? JSON.parse(Buffer.concat(chunks).toString('utf8')) : undefined);
      } catch (err) {
        reject(err);
      }
    });
    req.on('error', reject);
  });
}
