/**
 * The gateway's HTTP side: /healthz (JSON, 200 or 503 naming what failed), /metrics
 * (Prometheus text), and the routes other components add (dashboard, APIs).
 */
import http from 'node:http';
import type { Logger } from 'pino';
import { closeServer, listen } from './listen.js';

export type Route = (req: http.IncomingMessage, res: http.ServerResponse, url: URL) => Promise<void> | void;

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

export class HttpServer {
  private readonly server: http.Server;
  private readonly routes = new Map<string, Route>();
  private readonly prefixes: [string, Route][] = [];
  private readonly checks: HealthCheck[] = [];
  port: number | undefined;

  constructor(private readonly log: Logger, private readonly metricsText: () => Promise<string>, private readonly info: () => Record<string, unknown>) {
    this.server = http.createServer((req, res) => void this.handle(req, res));
    this.route('/healthz', (_req, res) => this.health(res));
    this.route('/metrics', async (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain; version=0.0.4; charset=utf-8' });
      res.end(await this.metricsText());
    });
  }

  route(path: string, handler: Route): void {
    if (path.endsWith('/*')) this.prefixes.push([path.slice(0, -1), handler]);
    else this.routes.set(path, handler);
  }

  addHealthCheck(check: HealthCheck): void {
    this.checks.push(check);
  }

  async start(port: number, host: string): Promise<void> {
    this.port = await listen(this.server, port, host, 'HTTP');
    this.log.info({ port: this.port, host }, 'http listening');
  }

  stop(): Promise<void> {
    return closeServer(this.server);
  }

  private async handle(req: http.IncomingMessage, res: http.ServerResponse): Promise<void> {
    const url = new URL(req.url ?? '/', 'http://localhost');
    const route = this.routes.get(url.pathname) ?? this.prefixes.find(([p]) => url.pathname.startsWith(p))?.[1];
    try {
      if (!route) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: 'not found', path: url.pathname }));
        return;
      }
      await route(req, res, url);
    } catch (err) {
      this.log.error({ err, path: url.pathname }, 'http handler failed');
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'application/json' });
      res.end(JSON.stringify({ error: 'internal error' }));
    }
  }

  private async health(res: http.ServerResponse): Promise<void> {
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
    const body = { status, failed, ...(degraded.length > 0 ? { degraded } : {}), checks: parts, ...this.info() };
    res.writeHead(failed.length === 0 ? 200 : 503, { 'content-type': 'application/json' }).end(JSON.stringify(body));
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
