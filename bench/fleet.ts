/**
 * The fleet test: simulated gateways (real journal + real MQTT bridge each) through a
 * 3-node nats-server cluster to competing dispatch workers. Mid-run one broker node is
 * killed (SIGKILL) and later started again, and one dispatch worker is killed. Afterwards
 * every record a gateway journaled must be stored at dispatch exactly once by id (an ETA
 * replaced by a newer one of its task before it was sent is counted apart), with no changed
 * record under an id.
 *
 * The short form runs in the interop suite; the long form (`--only=fleet`) is
 * 1,000 gateways x 1 record/s x 60 s.
 */
import { Fleet, type FailoverWindow, type FleetReport } from '../cli/sim-fleet.js';
import { startDispatchConsumers } from '../simulators/dispatch/consumers.js';
import { round, type Bench, type BenchRow } from './harness.js';
import { NatsCluster } from './nats-cluster.js';

export interface FleetRunOptions {
  gateways: number;
  rate: number;
  seconds: number;
  /** when the broker node is killed, seconds into the run */
  killNodeAtS: number;
  /** when it is started again; undefined: it stays down */
  restartNodeAtS?: number;
  /**
   * start it again only once every gateway that was on it has connected to another node
   * (waiting at most this long past restartNodeAtS): on a loaded machine JetStream can take
   * longer than the planned outage to elect new leaders, and a gateway would then simply
   * come back to the restarted node, so the failover would not be shown
   */
  restartAfterFailoverMs?: number;
  /** when a dispatch worker is killed; undefined: none is */
  killWorkerAtS?: number;
  workers?: number;
  ackTimeoutMs?: number;
  /** how long the journals may take to empty after the producing stops */
  drainTimeoutMs?: number;
  log?: (line: string) => void;
}

export interface FleetRunResult extends FleetReport {
  /** dispatch's own count: records received under an id already stored */
  duplicatesReceived: number;
  changedUnderSameId: number;
  gapCount: number;
  drained: boolean;
  /** gateways that were on the killed node when it died */
  gatewaysOnKilledNode: number;
  /** from the kill until the last of them had an ack through another node */
  failoverAllMs: number;
  workerBatches: number[];
  /** the killed node started again: when it took connections and when /healthz said it had caught up */
  restarted?: { acceptingMs: number; healthyMs?: number };
  /** gateways still on the killed node when it was started again */
  stillOnKilledNodeAtRestart?: number;
  /** mean JSON size of a stored record (its envelope included) */
  bytesPerRecord: number;
  /** from the first gateway's connect to the last one's */
  connectSeconds: number;
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

export async function runFleet(o: FleetRunOptions): Promise<FleetRunResult> {
  const log = o.log ?? (() => undefined);
  const cluster = new NatsCluster({ nodes: 3 });
  const cleanups: (() => Promise<void>)[] = [() => cluster.stop()];
  try {
    await cluster.start();
    log(`fleet: cluster up (${cluster.mqttUrls.join(' ')})`);
    let fleet: Fleet | undefined;
    let bytes = 0;
    let count = 0;
    const consumers = await startDispatchConsumers({
      servers: cluster.natsUrls,
      workers: o.workers ?? 3,
      onStored: (r, at) => {
        fleet?.stored(r.id, at);
        bytes += Buffer.byteLength(JSON.stringify(r));
        count++;
      },
    });
    cleanups.unshift(() => consumers.close());
    fleet = new Fleet({ gateways: o.gateways, rate: o.rate, brokers: cluster.mqttUrls, ackTimeoutMs: o.ackTimeoutMs ?? 5_000 });
    cleanups.unshift(() => fleet!.stop());
    const t0 = Date.now();
    await fleet.start();
    const connectSeconds = round((Date.now() - t0) / 1000, 1);
    log(`fleet: ${o.gateways} gateways connected in ${connectSeconds} s`);
    const f = fleet;
    const windows: FailoverWindow[] = [];
    const victim = cluster.nodes[0];
    let onVictim = 0;
    let killedAt = 0;
    let restarted: { acceptingMs: number; healthyMs?: number } | undefined;
    let stillOnKilledNodeAtRestart: number | undefined;
    const events: Promise<void>[] = [];
    const at = (s: number, what: () => Promise<void>): void => {
      events.push(sleep(s * 1000).then(what));
    };
    const start = Date.now();
    f.produce();
    at(o.killNodeAtS, async () => {
      onVictim = f.gatewaysOn(victim.mqttUrl);
      killedAt = Date.now();
      await cluster.kill(victim.name);
      log(`fleet: node ${victim.name} killed at ${((killedAt - start) / 1000).toFixed(1)} s with ${onVictim} gateways on it`);
    });
    if (o.restartNodeAtS !== undefined) {
      at(o.restartNodeAtS, async () => {
        if (o.restartAfterFailoverMs !== undefined) {
          const until = Date.now() + o.restartAfterFailoverMs;
          while (f.gatewaysOn(victim.mqttUrl) > 0 && Date.now() < until) await sleep(100);
        }
        stillOnKilledNodeAtRestart = f.gatewaysOn(victim.mqttUrl);
        restarted = await cluster.restart(victim.name);
        log(`fleet: node ${victim.name} started again: ${JSON.stringify(restarted)}`);
      });
    }
    if (o.killWorkerAtS !== undefined) {
      at(o.killWorkerAtS, async () => {
        const w = Date.now();
        windows.push({ fromMs: w - (o.ackTimeoutMs ?? 5_000) - 1_000, toMs: w + 1_000 });
        await consumers.workers[0].kill();
        log('fleet: dispatch worker 1 killed');
      });
    }
    await sleep(o.seconds * 1000);
    f.stopProducing();
    await Promise.all(events);
    const drained = await f.drained(o.drainTimeoutMs ?? 60_000);
    // the failover window: from the kill until the last gateway of the killed node had an ack again
    const before = f.report();
    const failoverAllMs = before.failoverMs.max;
    windows.push({ fromMs: killedAt - 1_000, toMs: killedAt + failoverAllMs + 1_000 });
    const report = f.report(windows);
    const sum = consumers.summary();
    log(`fleet: ${JSON.stringify({ ...report, drained, duplicatesReceived: sum.duplicates, changed: sum.changedUnderSameId })}`);
    return {
      ...report,
      duplicatesReceived: sum.duplicates,
      changedUnderSameId: sum.changedUnderSameId,
      gapCount: sum.gapCount,
      drained,
      gatewaysOnKilledNode: onVictim,
      failoverAllMs,
      workerBatches: sum.workers.map((w) => w.batches),
      restarted,
      stillOnKilledNodeAtRestart,
      connectSeconds,
      bytesPerRecord: count === 0 ? 0 : Math.round(bytes / count),
    };
  } finally {
    for (const c of cleanups) await c();
  }
}

export const fleetBench: Bench = {
  name: 'Fleet on a 3-node NATS cluster',
  key: 'fleet',
  async run(ctx) {
    const long = !ctx.quick;
    const r = await runFleet({
      gateways: long ? 1000 : 200,
      rate: 1,
      seconds: long ? 60 : 20,
      killNodeAtS: long ? 15 : 6,
      restartNodeAtS: long ? 35 : 12,
      killWorkerAtS: long ? 45 : 15,
      log: ctx.log,
    });
    const label = `${r.gateways} gw x ${r.rate}/s x ${Math.round(r.producingSeconds)} s`;
    const rows: BenchRow[] = [
      { bench: 'fleet', metric: `${label}: records/s stored`, value: r.recordsPerSecond, unit: 'rec/s' },
      { bench: 'fleet', metric: 'lost (journaled, never stored)', value: r.lost, unit: 'records', goal: '0', met: r.lost === 0 },
      { bench: 'fleet', metric: 'changed duplicates', value: r.changedUnderSameId, unit: 'records', goal: '0', met: r.changedUnderSameId === 0 },
      { bench: 'fleet', metric: 'e2e p50 (journal append -> stored)', value: r.e2eMs.p50, unit: 'ms' },
      { bench: 'fleet', metric: 'e2e p99 outside failover windows', value: r.e2eOutsideFailoverMs.p99, unit: 'ms', goal: '<= 1000', met: r.e2eOutsideFailoverMs.p99 <= 1000 },
      { bench: 'fleet', metric: 'e2e p99 all records', value: r.e2eMs.p99, unit: 'ms' },
      { bench: 'fleet', metric: 'gateway failover p50', value: r.failoverMs.p50, unit: 'ms' },
      { bench: 'fleet', metric: 'gateway failover max', value: r.failoverMs.max, unit: 'ms', goal: '<= 5000', met: r.failoverMs.max <= 5000 },
      { bench: 'fleet', metric: 'memory per simulated gateway (RSS)', value: r.memoryPerGateway.rssKiB, unit: 'KiB' },
      { bench: 'fleet', metric: `${r.gateways} gateways connected (persistent sessions)`, value: r.connectSeconds, unit: 's' },
      { bench: 'fleet', metric: 'bytes per record (JSON envelope)', value: r.bytesPerRecord, unit: 'B' },
    ];
    return { rows, json: { fleet: { ...r, form: long ? 'long' : 'short' } } };
  },
};
