/**
 * Receipts and labels. A pickup whose record is durable (`pickup-recorded` on the
 * in-process bus) becomes a receipt job on the kit's receipt printers; a `label.assign`
 * from dispatch becomes a label job on its label printers. Each job is handed to the
 * printer driver as a `print` command with the id of what it prints (the record id, the
 * downlink item id), so the driver's journal prints it once. The last print of each
 * printer is drawn as a PNG at `/api/printers/{id}/last-print.png` (operator auth).
 */
import type { Logger } from 'pino';
import { Gauge, type Registry } from 'prom-client';
import type { DeviceConfig } from '../devices/driver.js';
import type { PrintPage } from '../devices/printer/doc.js';
import type { JobFields, JobKind } from '../devices/printer/layout.js';
import type { Config } from './config.js';
import type { EventBus, GatewayEvents } from './event-bus.js';
import type { HttpServer } from './http.js';
import type { Component, DeviceHost } from './runtime.js';
import type { TaskStore } from '../rules/tasks.js';

export interface PrinterComponentOptions {
  config: Config;
  host: DeviceHost;
  bus: EventBus;
  http: HttpServer;
  tasks: TaskStore;
  log: Logger;
  registry: Registry;
}

const defaultJobs = (d: DeviceConfig): JobKind[] =>
  Array.isArray(d.jobs) ? (d.jobs as JobKind[]) : d.protocol === 'tspl' ? ['label'] : ['receipt'];

export class PrinterComponent implements Component {
  readonly name = 'printers';
  private readonly printers: { id: string; kit: string; jobs: JobKind[] }[];
  private readonly couriers: Map<string, string>;

  constructor(private readonly o: PrinterComponentOptions) {
    this.printers = o.config.devices.filter((d) => d.kind === 'printer').map((d) => ({ id: d.id, kit: d.kit, jobs: defaultJobs(d as DeviceConfig) }));
    this.couriers = new Map(o.config.kits.map((k) => [k.id, k.courierId ?? k.id]));
    const printers = this.printers;
    const host = o.host;
    new Gauge({
      name: 'cg_print_jobs',
      help: 'Print jobs of each printer since start, by outcome (printed, reprints, duplicates refused, uncertain after a restart, waits on a fault)',
      labelNames: ['device', 'count'],
      registers: [o.registry],
      collect() {
        this.reset();
        for (const p of printers) {
          const counts = (host.devices?.driver(p.id)?.describe?.() as { counts?: Record<string, number> } | undefined)?.counts ?? {};
          for (const [count, n] of Object.entries(counts)) this.set({ device: p.id, count }, n);
        }
      },
    });
  }

  /** the printers of a kit that print this kind of job */
  for(kit: string, kind: JobKind): string[] {
    return this.printers.filter((p) => p.kit === kit && p.jobs.includes(kind)).map((p) => p.id);
  }

  async start(): Promise<void> {
    if (this.printers.length === 0) return;
    this.o.bus.on('printers', 'pickup-recorded', (r) => void this.receipt(r));
    this.o.http.route('/api/printers/*', async (_req, res, url) => {
      const m = /^\/api\/printers\/([^/]+)\/last-print\.png$/.exec(url.pathname);
      const id = m ? decodeURIComponent(m[1]) : undefined;
      const page = id && this.printers.some((p) => p.id === id) ? this.lastPage(id) : undefined;
      if (!page) {
        res.writeHead(404, { 'content-type': 'application/json' }).end(JSON.stringify({ error: id ? 'NOTHING_PRINTED' : 'NOT_FOUND' }));
        return;
      }
      const { renderPage } = await import('../devices/printer/render.js');
      const png = await renderPage(page.page, page.width);
      res.writeHead(200, { 'content-type': 'image/png', 'cache-control': 'no-store' }).end(png);
    });
  }

  async stop(): Promise<void> {
    this.o.bus.off('printers');
  }

  status(): Record<string, unknown> {
    return { printers: this.printers.length };
  }

  /** a waybill dispatch assigned to a task: its label, on the kit's label printers */
  async label(item: { id: string; kit: string; taskId: string; waybill: string }): Promise<boolean> {
    const printers = this.for(item.kit, 'label');
    if (printers.length === 0) return false;
    const task = this.o.tasks.get(item.taskId);
    const fields: JobFields = { waybill: item.waybill, task: item.taskId, kit: item.kit, courier: this.couriers.get(item.kit) ?? item.kit, customer: task?.customer, address: task?.address.text, time: new Date().toISOString() };
    await this.print(printers, item.id, 'label', fields);
    return true;
  }

  private async receipt(r: GatewayEvents['pickup-recorded']): Promise<void> {
    const printers = this.for(r.kit, 'receipt');
    if (printers.length === 0) return;
    const b = r.body as { receipt?: string; waybill?: string; taskId?: string | null; customer?: string | null; weights?: { grams?: number | null } };
    const grams = b.weights?.grams;
    const fields: JobFields = {
      receipt: b.receipt,
      waybill: b.waybill,
      weight: typeof grams === 'number' ? `${(grams / 1000).toFixed(3)} kg` : 'not weighed',
      time: r.createdAt.replace('T', ' ').replace(/\.\d+Z$/, 'Z'),
      clock: r.clock,
      courier: this.couriers.get(r.kit) ?? r.kit,
      customer: b.customer ?? undefined,
      task: b.taskId ?? undefined,
      kit: r.kit,
    };
    await this.print(printers, r.id, 'receipt', fields);
  }

  private async print(printers: string[], id: string, kind: JobKind, fields: JobFields): Promise<void> {
    for (const device of printers) {
      const result = await this.o.host.devices.command(device, 'print', { id, kind, fields }).catch((e: unknown) => ({ ok: false, message: String(e) }));
      if (!result.ok) this.o.log.error({ device, job: id, kind, result }, 'print job not taken');
    }
  }

  private lastPage(id: string): { page: PrintPage; width: number } | undefined {
    const d = this.o.host.devices.driver(id)?.describe?.() as { lastPrint?: { page: PrintPage } | null; dots?: number } | undefined;
    return d?.lastPrint ? { page: d.lastPrint.page, width: d.dots ?? 384 } : undefined;
  }
}
