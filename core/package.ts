/**
 * Where the package lives: its root (the folder of package.json) for the files it ships
 * (rule sets, scenarios), and the compiled `courier-gw` entry that scripts, tests and the
 * scenario runner spawn.
 */
import { existsSync } from 'node:fs';
import path from 'node:path';
import { fileURLToPath } from 'node:url';

export const packageRoot = (() => {
  let dir = path.dirname(fileURLToPath(import.meta.url));
  while (!existsSync(path.join(dir, 'package.json')) && path.dirname(dir) !== dir) dir = path.dirname(dir);
  return dir;
})();

/** the compiled CLI (package.json `bin.courier-gw`), built by `npm run build` */
export const compiledCliPath = path.join(packageRoot, 'dist', 'cli', 'courier-gw.js');
