/** Starts and talks to bench/dispatch-child.ts. */
import { fork, type ChildProcess } from 'node:child_process';
import type { DispatchSimOptions, DispatchSummary } from '../simulators/dispatch/index.js';

export interface DispatchProcess {
  url: string;
  summary(): Promise<DispatchSummary>;
  close(): Promise<void>;
}

export async function startDispatchProcess(opts: DispatchSimOptions = {}): Promise<DispatchProcess> {
  const child: ChildProcess = fork(new URL('./dispatch-child.js', import.meta.url), [JSON.stringify(opts)], { stdio: ['ignore', 'ignore', 'inherit', 'ipc'] });
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error('dispatch simulator did not start within 10 s')), 10_000);
    child.once('exit', (code) => reject(new Error(`dispatch simulator exited with ${code}`)));
    child.on('message', (m: { ready?: string }) => {
      if (m.ready === undefined) return;
      clearTimeout(timer);
      resolve(m.ready);
    });
  });
  return {
    url,
    summary: () =>
      new Promise((resolve) => {
        const on = (m: { summary?: DispatchSummary }) => {
          if (m.summary === undefined) return;
          child.off('message', on);
          resolve(m.summary);
        };
        child.on('message', on);
        child.send('summary');
      }),
    async close() {
      if (child.exitCode === null && child.connected) child.send('close');
      const timer = setTimeout(() => child.kill('SIGKILL'), 5000);
      await exited;
      clearTimeout(timer);
    },
  };
}
