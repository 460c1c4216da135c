/**
 * The fleet test, short form: 200 simulated gateways (each its own journal and MQTT bridge)
 * at one record a second for 20 s through a 3-node nats-server cluster to 3 competing
 * dispatch workers; a broker node is killed and started again, a worker is killed.
 */
import { describe, expect, it } from 'vitest';
import { runFleet } from '../../bench/fleet.js';

describe('a fleet of gateways on a clustered broker', () => {
  it('loses nothing and changes nothing across a broker-node kill and a worker kill', async () => {
    const r = await runFleet({ gateways: 200, rate: 1, seconds: 20, killNodeAtS: 6, restartNodeAtS: 12, restartAfterFailoverMs: 45_000, killWorkerAtS: 15, log: (l) => process.stderr.write(`${l}\n`) });
    expect(r.drained).toBe(true);
    expect(r.journaled).toBeGreaterThanOrEqual(200 * 18);
    expect(r.lost).toBe(0);
    expect(r.stored + r.superseded).toBe(r.journaled);
    expect(r.changedUnderSameId).toBe(0);
    expect(r.gapCount).toBe(0);
    // about a third of the fleet was on the node that died; each connected to another node
    // before that node was started again, and had acks through it
    expect(r.gatewaysOnKilledNode).toBeGreaterThan(30);
    expect(r.stillOnKilledNodeAtRestart).toBe(0);
    expect(r.failoverMs.count).toBeGreaterThanOrEqual(r.gatewaysOnKilledNode);
    expect(r.failovers).toBeGreaterThanOrEqual(r.gatewaysOnKilledNode);
    // every worker took part
    expect(r.workerBatches.every((b) => b > 0)).toBe(true);
  }, 150_000);
});
