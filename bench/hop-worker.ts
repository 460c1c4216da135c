/** Runs MQTT clients for a benchmark in their own thread, so the broker under test has the main thread to itself. */
import { parentPort, workerData } from 'node:worker_threads';
import mqtt, { type MqttClient } from 'mqtt';

interface HopJob {
  url: string;
  n: number;
  pub: mqtt.IClientOptions;
  sub: mqtt.IClientOptions;
  topic: string;
  payload: string;
  window: number;
}

async function connect(url: string, opts: mqtt.IClientOptions): Promise<MqttClient> {
  const c = mqtt.connect(url, { reconnectPeriod: 0, ...opts });
  await new Promise<void>((resolve, reject) => {
    c.once('connect', () => resolve());
    c.once('error', reject);
  });
  return c;
}

async function hop(job: HopJob): Promise<number> {
  const sub = await connect(job.url, job.sub);
  const pub = await connect(job.url, job.pub);
  await sub.subscribeAsync(job.topic, { qos: 1 });
  let got = 0;
  const done = new Promise<void>((resolve) => {
    sub.on('message', () => {
      if (++got === job.n) resolve();
    });
  });
  const t0 = performance.now();
  const inflight: Promise<unknown>[] = [];
  for (let i = 0; i < job.n; i++) {
    inflight.push(pub.publishAsync(job.topic, job.payload, { qos: 1 }));
    if (inflight.length >= job.window) await Promise.all(inflight.splice(0));
  }
  await Promise.all(inflight);
  await done;
  const rate = job.n / ((performance.now() - t0) / 1000);
  await Promise.all([pub.endAsync(), sub.endAsync()]);
  return rate;
}

hop(workerData as HopJob).then(
  (rate) => parentPort!.postMessage({ rate }),
  (err: Error) => parentPort!.postMessage({ error: err.message }),
);
