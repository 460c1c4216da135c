/** The main-thread side of bench/kits-worker.ts: start the kits, run load steps, close. */
import { Worker } from 'node:worker_threads';
import type { KitClients, LoadJob, LoadResult, LoadStep } from './kits-worker.js';
import { kitIdOf } from './waybills.js';

export type { KitClients, LoadJob, LoadResult, LoadStep };

type Reply = { ready?: true; result?: LoadResult; closed?: true; error?: string };

export class KitLoad {
  private constructor(private readonly worker: Worker) {}

  static async start(job: LoadJob): Promise<KitLoad> {
    const worker = new Worker(new URL('./kits-worker.js', import.meta.url), { workerData: job });
    const load = new KitLoad(worker);
    const first = await load.reply(120_000);
    if (first.error) {
      await worker.terminate();
      throw new Error(`load generator: ${first.error}`);
    }
    return load;
  }

  private reply(timeoutMs: number): Promise<Reply> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`load generator silent for ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const onMessage = (m: Reply) => {
        cleanup();
        resolve(m);
      };
      const onError = (err: Error) => {
        cleanup();
        reject(err);
      };
      const cleanup = () => {
        clearTimeout(timer);
        this.worker.off('message', onMessage);
        this.worker.off('error', onError);
      };
      this.worker.on('message', onMessage);
      this.worker.on('error', onError);
    });
  }

  async run(step: LoadStep): Promise<LoadResult> {
    const answer = this.reply(step.seconds * 1000 + (step.verdictTimeoutMs ?? 2000) + 30_000);
    this.worker.postMessage({ run: step });
    const m = await answer;
    if (m.error || !m.result) throw new Error(`load generator: ${m.error ?? 'no result'}`);
    return m.result;
  }

  async close(): Promise<void> {
    const answer = this.reply(10_000).catch(() => undefined);
    this.worker.postMessage('close');
    await answer;
    await this.worker.terminate();
  }
}

/** `n` kits, each a scanner `scanner-NN` and a scale `scale-NN` with the same password */
export function benchKits(n: number, password: string): KitClients[] {
  return Array.from({ length: n }, (_, i) => {
    const kit = kitIdOf(i);
    const nn = kit.slice(4);
    return { kit, kitIndex: i, scanner: { id: `scanner-${nn}`, password }, scale: { id: `scale-${nn}`, password } };
  });
}
