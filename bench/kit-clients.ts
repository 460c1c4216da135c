/** The load generators' MQTT clients: one per device, connected a few at a time (the gateway checks a password hash per connect). */
import mqtt, { type MqttClient } from 'mqtt';
import type { KitClients } from './kits-worker.js';

export function connectClient(url: string, opts: { id: string; username?: string; password?: string }): Promise<MqttClient> {
  const c = mqtt.connect(url, { clientId: opts.id, username: opts.username ?? opts.id, password: opts.password, reconnectPeriod: 0, connectTimeout: 30_000 });
  return new Promise((resolve, reject) => {
    c.once('connect', () => {
      // the load generator must not add Nagle delays of its own
      const socket = c.stream as { setNoDelay?: (on: boolean) => void };
      socket.setNoDelay?.(true);
      resolve(c);
    });
    c.once('error', reject);
  });
}

export interface ConnectedKit {
  spec: KitClients;
  scanner: MqttClient;
  scale: MqttClient;
  app?: MqttClient;
}

/** a scanner and a scale client per kit (and its app's when the kit has one), `concurrency` kits at a time, in kit order; `subscribe` runs before a kit counts as connected */
export async function connectKits(url: string, specs: readonly KitClients[], concurrency: number, subscribe?: (k: ConnectedKit) => Promise<unknown>): Promise<ConnectedKit[]> {
  const kits: ConnectedKit[] = [];
  const queue = [...specs];
  const workers = Array.from({ length: concurrency }, async () => {
    for (let spec = queue.shift(); spec; spec = queue.shift()) {
      const k: ConnectedKit = { spec, scanner: await connectClient(url, spec.scanner), scale: await connectClient(url, spec.scale) };
      if (spec.app) k.app = await connectClient(url, spec.app);
      if (subscribe) await subscribe(k);
      kits.push(k);
    }
  });
  await Promise.all(workers);
  return kits.sort((a, b) => a.spec.kitIndex - b.spec.kitIndex);
}
