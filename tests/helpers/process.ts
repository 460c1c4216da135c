/** Child processes for interop tests: the compiled CLI, free ports, waiting for output. */
import { spawn, type ChildProcess } from 'node:child_process';
import { packageRoot as repoRoot } from '../../simulators/gateway-process.js';

export { gatewayCli as cliPath, packageRoot as repoRoot } from '../../simulators/gateway-process.js';

export { freePort } from '../../core/ports.js';

export interface Proc {
  child: ChildProcess;
  output(): string;
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<string>;
  exited: Promise<number | null>;
  kill(signal?: NodeJS.Signals): void;
}

export function run(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; cwd?: string; input?: string } = {}): Proc {
  const child = spawn(command, args, { cwd: options.cwd ?? repoRoot, env: { ...process.env, ...options.env }, stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  const listeners = new Set<() => void>();
  const onData = (d: Buffer) => {
    out += d.toString();
    for (const l of listeners) l();
  };
  child.stdout!.on('data', onData);
  child.stderr!.on('data', onData);
  if (options.input !== undefined) child.stdin!.end(options.input);
  // 'close', not 'exit': the output streams are read to their end by then
  const exited = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  return {
    child,
    output: () => out,
    exited,
    kill: (signal = 'SIGTERM') => child.kill(signal),
    waitFor(pattern, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = () => {
          const m = pattern.exec(out);
          if (m) {
            listeners.delete(check);
            clearTimeout(timer);
            resolve(m[0]);
          }
        };
        const timer = setTimeout(() => {
          listeners.delete(check);
          reject(new Error(`timed out waiting for ${pattern} in output:\n${out.slice(-2000)}`));
        }, timeoutMs);
        listeners.add(check);
        check();
      });
    },
  };
}

/** Runs a command to completion; resolves with its exit code and output. */
export async function runToEnd(command: string, args: string[], options: { env?: NodeJS.ProcessEnv; input?: string; timeoutMs?: number } = {}): Promise<{ code: number | null; output: string }> {
  const p = run(command, args, options);
  const timer = setTimeout(() => p.kill('SIGKILL'), options.timeoutMs ?? 20_000);
  const code = await p.exited;
  clearTimeout(timer);
  return { code, output: p.output() };
}
