/**
 * A cluster of Debian's nats-server on loopback, for the fleet test and bench: one config
 * per node (server_name, client / route / monitor / MQTT ports from freePort, routes to the
 * others, a JetStream store folder of its own), started and waited on until every node
 * answers /healthz and MQTT accepts connections. A node can be killed (SIGKILL) and started
 * again on the same ports and store.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { freePort } from '../core/ports.js';

export interface NatsNode {
  name: string;
  clientPort: number;
  routePort: number;
  monitorPort: number;
  mqttPort: number;
  mqttUrl: string;
  natsUrl: string;
  conf: string;
}

export interface NatsClusterOptions {
  nodes?: number;
  /** how long start() waits for the whole cluster (default 30 s) */
  readyTimeoutMs?: number;
  /** MQTT's QoS 1 redelivery wait on the broker (default 5 s) */
  ackWaitSeconds?: number;
}

function bin(): string {
  return ['/usr/bin/nats-server', '/usr/sbin/nats-server'].find((b) => existsSync(b)) ?? 'nats-server';
}

function canConnect(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const s = net.connect(port, '127.0.0.1', () => {
      s.destroy();
      resolve(true);
    });
    s.on('error', () => resolve(false));
  });
}

/** healthy, and JetStream's meta group has a leader and knows every node */
async function healthy(monitorPort: number, nodes: number): Promise<boolean> {
  try {
    const res = await fetch(`http://127.0.0.1:${monitorPort}/healthz`, { signal: AbortSignal.timeout(1000) });
    if (!res.ok) return false;
    if (nodes === 1) return true;
    const jsz = (await (await fetch(`http://127.0.0.1:${monitorPort}/jsz`, { signal: AbortSignal.timeout(1000) })).json()) as {
      meta_cluster?: { leader?: string; cluster_size?: number };
    };
    const meta = jsz.meta_cluster;
    return meta?.leader !== undefined && meta.leader !== '' && (meta.cluster_size ?? 0) >= nodes;
  } catch {
    return false;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export class NatsCluster {
  readonly nodes: NatsNode[] = [];
  private readonly children = new Map<string, ChildProcess>();
  private dir = '';

  constructor(private readonly opts: NatsClusterOptions = {}) {}

  get mqttUrls(): string[] {
    return this.nodes.map((n) => n.mqttUrl);
  }

  get natsUrls(): string[] {
    return this.nodes.map((n) => n.natsUrl);
  }

  async start(): Promise<void> {
    this.dir = await mkdtemp(path.join(os.tmpdir(), 'cg-nats-'));
    const count = this.opts.nodes ?? 3;
    for (let i = 1; i <= count; i++) {
      const [clientPort, routePort, monitorPort, mqttPort] = [await freePort(), await freePort(), await freePort(), await freePort()];
      const name = `n${i}`;
      this.nodes.push({
        name,
        clientPort,
        routePort,
        monitorPort,
        mqttPort,
        mqttUrl: `mqtt://127.0.0.1:${mqttPort}`,
        natsUrl: `nats://127.0.0.1:${clientPort}`,
        conf: path.join(this.dir, `${name}.conf`),
      });
    }
    for (const n of this.nodes) {
      const store = path.join(this.dir, n.name);
      await mkdir(store, { recursive: true });
      const routes = this.nodes.filter((o) => o !== n).map((o) => `nats-route://127.0.0.1:${o.routePort}`);
      await writeFile(
        n.conf,
        [
          `server_name: ${n.name}`,
          `listen: 127.0.0.1:${n.clientPort}`,
          `http: 127.0.0.1:${n.monitorPort}`,
          `jetstream { store_dir: ${JSON.stringify(store)} }`,
          // one node alone is a plain server
          this.nodes.length > 1 ? `cluster { name: cg-fleet, listen: 127.0.0.1:${n.routePort}, routes: [${routes.join(', ')}] }` : '',
          `log_file: ${JSON.stringify(path.join(this.dir, `${n.name}.log`))}`,
          `mqtt { listen: 127.0.0.1:${n.mqttPort}, stream_replicas: ${this.nodes.length}, consumer_memory_storage: true, ack_wait: "${this.opts.ackWaitSeconds ?? 5}s" }`,
          '',
        ].join('\n'),
      );
    }
    for (const n of this.nodes) this.spawn(n);
    await this.waitReady(this.nodes);
    await this.warm();
  }

  /** SIGKILL: the node is gone at once, as on a power cut */
  async kill(name: string): Promise<void> {
    const c = this.children.get(name);
    if (c === undefined || c.exitCode !== null) return;
    const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
    c.kill('SIGKILL');
    await exited;
    this.children.delete(name);
  }

  /**
   * starts a killed node again on its ports and store; resolves once it takes MQTT
   * connections, with whether (and how soon) /healthz said it had caught up
   */
  async restart(name: string, healthyWithinMs = 20_000): Promise<{ acceptingMs: number; healthyMs?: number }> {
    const n = this.nodes.find((x) => x.name === name);
    if (n === undefined) throw new Error(`no node ${name}`);
    const t0 = Date.now();
    this.spawn(n);
    while (!(await canConnect(n.mqttPort))) {
      if (Date.now() - t0 > (this.opts.readyTimeoutMs ?? 30_000)) throw new Error(`nats-server ${name} takes no connections ${this.opts.readyTimeoutMs ?? 30_000} ms after its restart`);
      await sleep(100);
    }
    const acceptingMs = Date.now() - t0;
    while (Date.now() - t0 < healthyWithinMs) {
      if (await healthy(n.monitorPort, this.nodes.length)) return { acceptingMs, healthyMs: Date.now() - t0 };
      await sleep(200);
    }
    return { acceptingMs };
  }

  async stop(): Promise<void> {
    for (const name of [...this.children.keys()]) {
      const c = this.children.get(name)!;
      const exited = new Promise<void>((resolve) => c.once('exit', () => resolve()));
      if (c.exitCode === null) c.kill('SIGTERM');
      await Promise.race([exited, sleep(5000).then(() => c.kill('SIGKILL'))]);
    }
    this.children.clear();
    if (this.dir !== '') await rm(this.dir, { recursive: true, force: true });
  }

  private spawn(n: NatsNode): void {
    const child = spawn(bin(), ['-c', n.conf], { stdio: 'ignore' });
    child.on('error', () => undefined);
    // a test or bench that dies takes its brokers with it
    const reap = (): void => void child.kill('SIGKILL');
    process.once('exit', reap);
    child.once('exit', () => process.off('exit', reap));
    this.children.set(n.name, child);
  }

  /** one MQTT session on each node, so the account's MQTT streams exist before a fleet connects */
  private async warm(): Promise<void> {
    const { default: mqtt } = await import('mqtt');
    for (const n of this.nodes) {
      const deadline = Date.now() + (this.opts.readyTimeoutMs ?? 30_000);
      for (;;) {
        try {
          const c = await mqtt.connectAsync(n.mqttUrl, { clientId: `cg-warm-${n.name}`, clean: true, reconnectPeriod: 0, connectTimeout: 10_000 });
          await c.endAsync();
          break;
        } catch (err) {
          if (Date.now() > deadline) throw new Error(`nats-server ${n.name}: no MQTT session within ${this.opts.readyTimeoutMs ?? 30_000} ms (${(err as Error).message})`);
        }
      }
    }
  }

  private async waitReady(nodes: NatsNode[]): Promise<void> {
    const deadline = Date.now() + (this.opts.readyTimeoutMs ?? 30_000);
    for (const n of nodes) {
      for (;;) {
        const child = this.children.get(n.name);
        if (child?.exitCode !== null && child?.exitCode !== undefined) throw new Error(`nats-server ${n.name} exited with ${child.exitCode} (is Debian nats-server installed? config ${n.conf})`);
        if ((await healthy(n.monitorPort, this.nodes.length)) && (await canConnect(n.mqttPort))) break;
        if (Date.now() > deadline) throw new Error(`nats-server ${n.name} not ready within ${this.opts.readyTimeoutMs ?? 30_000} ms`);
        await sleep(100);
      }
    }
  }
}
