/**
 * What the commands share: usage errors (exit 2), the JSON-or-words choice of a command's
 * result, examples in every --help, and reading a secret from the terminal.
 */
import { createInterface } from 'node:readline';
import type { Command } from 'commander';

/** A command used wrongly (a missing flag, an unknown name, empty input): exit 2 with the message. */
export class UsageError extends Error {
  override readonly name = 'UsageError';
}

/** JSON with --json or when stdout is not a terminal (a script reads it); words on a terminal. */
export function wantsJson(opts: { json?: boolean }, isTty = process.stdout.isTTY === true): boolean {
  return opts.json === true || !isTty;
}

export function printResult<T>(value: T, opts: { json?: boolean }, human: (value: T) => string): void {
  process.stdout.write(wantsJson(opts) ? `${JSON.stringify(value, null, 2)}\n` : `${human(value).replace(/\n*$/, '')}\n`);
}

/** Adds an Examples section to a command's --help. */
export function examples(cmd: Command, lines: readonly string[]): Command {
  return cmd.addHelpText('after', `\nExamples:\n${lines.map((l) => `  $ ${l}`).join('\n')}\n`);
}

/** Reads one line from the terminal without echoing it (a password). */
export function promptHidden(question: string, input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  return new Promise((resolve, reject) => {
    const rl = createInterface({ input, output, terminal: true });
    const rlOut = rl as unknown as { _writeToOutput(s: string): void };
    let muted = false;
    rlOut._writeToOutput = (s: string) => {
      if (!muted || s === '\r\n' || s === '\n') output.write(s);
    };
    rl.on('SIGINT', () => {
      rl.close();
      reject(new UsageError('cancelled'));
    });
    rl.question(question, (answer) => {
      rl.close();
      resolve(answer);
    });
    muted = true;
  });
}

/** Reads one line from the terminal, with a default shown in brackets. */
export function prompt(question: string, fallback = '', input: NodeJS.ReadStream = process.stdin, output: NodeJS.WriteStream = process.stderr): Promise<string> {
  return new Promise((resolve) => {
    const rl = createInterface({ input, output, terminal: true });
    rl.question(fallback ? `${question} [${fallback}]: ` : `${question}: `, (answer) => {
      rl.close();
      resolve(answer.trim() || fallback);
    });
  });
}

export async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString('utf8');
}
