/** The main-thread side of the load generators' worker threads: start, ask, close. */
import { Worker } from 'node:worker_threads';
import type { KitClients, LoadJob, LoadResult, LoadStep } from './kits-worker.js';
import { kitIdOf } from './waybills.js';

export type { KitClients, LoadJob, LoadResult, LoadStep };

/** a worker's answer; one that names the id of its request answers only that request */
type Reply<R> = { id?: number; ready?: true; result?: R; closed?: true; error?: string };

/** One worker thread running `script` with `job`; `request` posts a message and waits for its reply. */
export class LoadWorker<R> {
  private ids = 0;

  private constructor(private readonly worker: Worker) {}

  static async start<R>(script: URL, job: unknown, timeoutMs = 120_000): Promise<LoadWorker<R>> {
    const worker = new Worker(script, { workerData: job });
    const load = new LoadWorker<R>(worker);
    const first = await load.reply(timeoutMs).catch(async (err: Error) => {
      await worker.terminate();
      throw err;
    });
    if (first.error) {
      await worker.terminate();
      throw new Error(`load generator: ${first.error}`);
    }
    return load;
  }

  private reply(timeoutMs: number, id?: number): Promise<Reply<R>> {
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        cleanup();
        reject(new Error(`load generator silent for ${timeoutMs / 1000} s`));
      }, timeoutMs);
      const onMessage = (m: Reply<R>) => {
        if (m.id !== undefined && m.id !== id) return;
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

  /** posts `message` with an id (requests may overlap when the worker answers with it) and waits for the answer */
  async request(message: Record<string, unknown>, timeoutMs: number): Promise<R> {
    const id = ++this.ids;
    const answer = this.reply(timeoutMs, id);
    this.worker.postMessage({ ...message, id });
    const m = await answer;
    if (m.error || m.result === undefined) throw new Error(`load generator: ${m.error ?? 'no result'}`);
    return m.result;
  }

  async close(): Promise<void> {
    const answer = this.reply(10_000).catch(() => undefined);
    this.worker.postMessage('close');
    await answer;
    await this.worker.terminate();
  }
}

/** The weigh-and-scan load generator of kits-worker.ts. */
export class KitLoad {
  private constructor(private readonly worker: LoadWorker<LoadResult>) {}

  static async start(job: LoadJob): Promise<KitLoad> {
    return new KitLoad(await LoadWorker.start<LoadResult>(new URL('./kits-worker.js', import.meta.url), job));
  }

  run(step: LoadStep): Promise<LoadResult> {
    return this.worker.request({ run: step }, step.seconds * 1000 + (step.verdictTimeoutMs ?? 2000) + 30_000);
  }

  close(): Promise<void> {
    return this.worker.close();
  }
}

/** `n` kits, each a scanner `scanner-NN` and a scale `scale-NN` with the same password */
export function benchKits(n: number, password: string, o: { apps?: boolean } = {}): KitClients[] {
  return Array.from({ length: n }, (_, i) => {
    const kit = kitIdOf(i);
    const nn = kit.slice(4);
    return { kit, kitIndex: i, scanner: { id: `scanner-${nn}`, password }, scale: { id: `scale-${nn}`, password }, ...(o.apps ? { app: { id: `app-${nn}`, password } } : {}) };
  });
}
