/**
 * The dashboard's browser script as the server sends it (app.js): the module
 * gateway/dashboard/browser/app.ts, compiled by `npm run build` (tsconfig.browser.json)
 * next to this file's compiled folder. Run from the sources (tests), where nothing is
 * compiled, it is transpiled once with the same settings.
 */
import { readFile } from 'node:fs/promises';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

const browserDir = path.join(path.dirname(fileURLToPath(import.meta.url)), '..', 'browser');

async function browserScript(): Promise<string> {
  try {
    return await readFile(path.join(browserDir, 'app.js'), 'utf8');
  } catch (err) {
    if ((err as NodeJS.ErrnoException).code !== 'ENOENT') throw err;
  }
  const source = await readFile(path.join(browserDir, 'app.ts'), 'utf8').catch(() => {
    throw new Error(`the dashboard script is not built (${path.join(browserDir, 'app.js')}): run npm run build`);
  });
  const { default: ts } = await import('typescript');
  return ts.transpileModule(source, { compilerOptions: { target: ts.ScriptTarget.ES2017, module: ts.ModuleKind.None, alwaysStrict: true } }).outputText;
}

export const PAGE_JS: string = await browserScript();
