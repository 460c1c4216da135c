/** The gateway as a child process (so a scenario can cut its power with SIGKILL), from the compiled CLI. */
import { spawn, type ChildProcess } from 'node:child_process';
import { createWriteStream, type WriteStream } from 'node:fs';
import { compiledCliPath as cli } from '../core/package.js';

export class GatewayProcess {
  private child: ChildProcess | undefined;
  private readonly logStream: WriteStream;
  restarts = 0;

  constructor(private readonly configFile: string, private readonly httpUrl: string, logFile: string) {
    this.logStream = createWriteStream(logFile, { flags: 'a' });
  }

  async start(): Promise<void> {
    const child = spawn(process.execPath, [cli, 'start', '--config', this.configFile], { stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, NO_COLOR: '1' } });
    child.stdout!.pipe(this.logStream, { end: false });
    child.stderr!.pipe(this.logStream, { end: false });
    this.child = child;
    await this.waitHealthy();
  }

  async waitHealthy(timeoutMs = 20_000): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      if (this.child?.exitCode !== null && this.child?.exitCode !== undefined) throw new Error(`gateway exited with code ${this.child.exitCode} (see its log)`);
      try {
        const res = await fetch(`${this.httpUrl}/healthz`, { signal: AbortSignal.timeout(1000) });
        if (res.status === 200) return;
      } catch {
        // not up yet
      }
      if (Date.now() > deadline) throw new Error('gateway did not become healthy in time');
      await new Promise((r) => setTimeout(r, 100));
    }
  }

  /** A power cut: SIGKILL, then start again. */
  async powerCut(): Promise<void> {
    const child = this.child;
    if (child && child.exitCode === null) {
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGKILL');
      await exited;
    }
    this.restarts++;
    await this.start();
  }

  async stop(): Promise<number | null> {
    const child = this.child;
    if (!child || child.exitCode !== null) return child?.exitCode ?? null;
    const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
    child.kill('SIGTERM');
    const code = await exited;
    this.logStream.end();
    return code;
  }
}
