/**
 * The folders of the project and what each may import: the one table that
 * tests/architecture/layers.test.ts checks every import against and that
 * docs/architecture.md shows (the test fails when the page and this table differ).
 *
 * A `mayImport` entry is a top-level folder (`devices`) or one file in it
 * (`cloud-sync/journal/records.ts`); `*` is every folder. A folder always may import
 * itself. Imports of packages (node:, npm) are not checked here.
 */
export interface FolderRule {
  folder: string;
  holds: string;
  mayImport: readonly string[];
}

export const folderRules: readonly FolderRule[] = [
  {
    folder: 'cli',
    holds: '`courier-gw` and its commands: the only place that brings the runtime and the simulators together',
    mayImport: ['*'],
  },
  {
    folder: 'gateway',
    holds: 'the runtime: config, the embedded broker with device auth and ACL, the device manager, HTTP (health, metrics, dashboard), the components and their start order',
    mayImport: ['core', 'devices', 'rules', 'cloud-sync', 'eta', 'clock', 'telemetry', 'report'],
  },
  {
    folder: 'eta',
    holds: "positions in, eta.update and pickup.delay records out; arrival and ETA-error figures; the learned model; replaying a track against the naive ETA; the kits' workload (kit.workload records)",
    mayImport: ['core', 'devices', 'rules'],
  },
  {
    folder: 'clock',
    holds: 'the clock monitor: how far the system clock can be trusted (NTP, GPS time), clock.sync records',
    mayImport: ['core', 'rules'],
  },
  {
    folder: 'telemetry',
    holds: 'downsampled position tracks and device health as records',
    mayImport: ['core', 'devices', 'rules'],
  },
  {
    folder: 'cloud-sync',
    holds: 'the journal (durable outbox) and its record format, the sync transports (HTTP, MQTT bridge) and the downlink of tasks, rule sets and config',
    mayImport: ['core', 'rules'],
  },
  {
    folder: 'rules',
    holds: 'pairing of scans with weights, facts, operators, the rule sets, verdicts, tasks, locker flows; the records they hand over and the port they write them through',
    mayImport: ['core', 'devices'],
  },
  {
    folder: 'simulators',
    holds: 'simulators that host the firmware stubs on real transports, scenarios and their runner, the reference dispatch service (which reads the record format)',
    mayImport: ['core', 'devices', 'firmware-stubs', 'cloud-sync/journal/records.ts', 'report'],
  },
  {
    folder: 'report',
    holds: "the day's figures (on-time pickups, first-attempt success, exceptions, ETA error against a naive baseline, pieces per stop, feedback) as pure functions over records, and their table and HTML page",
    mayImport: ['core'],
  },
  {
    folder: 'firmware-stubs',
    holds: 'the device side of each protocol, as a state machine, on the codecs of devices/',
    mayImport: ['core', 'devices'],
  },
  {
    folder: 'devices',
    holds: 'one folder a device family: pure codecs plus thin transport adapters; transports/ wraps serialport, node-hid, noble, TCP and image decoding',
    mayImport: ['core'],
  },
  {
    folder: 'core',
    holds: 'what every layer shares and nothing else: topics, geo, timers, backoff, ids, free ports, password hashes, package paths',
    mayImport: [],
  },
];

/** Folders that may import anything and that nothing of the product may import. */
export const outsideFolders = ['tests', 'bench'] as const;

/** One import between two project files (paths relative to the repository root, .ts). */
export interface ImportEdge {
  from: string;
  to: string;
}

export const topFolder = (file: string): string => file.split('/')[0];

/** The imports the table does not allow, one line each. */
export function violations(edges: readonly ImportEdge[], rules: readonly FolderRule[] = folderRules): string[] {
  const byFolder = new Map(rules.map((r) => [r.folder, r]));
  const out: string[] = [];
  for (const e of edges) {
    const a = topFolder(e.from);
    const b = topFolder(e.to);
    if (a === b) continue;
    const rule = byFolder.get(a);
    if (!rule) {
      out.push(`${e.from}: its folder ${a}/ is not in the table`);
      continue;
    }
    const ok = rule.mayImport.some((m) => m === '*' || m === b || m === e.to);
    if (!ok) out.push(`${e.from} imports ${e.to}: ${a}/ may import ${rule.mayImport.join(', ') || 'nothing of the project'}`);
  }
  return out;
}

/** Cycles between top-level folders, each as `a -> b -> a`. */
export function folderCycles(edges: readonly ImportEdge[]): string[] {
  const next = new Map<string, Set<string>>();
  for (const e of edges) {
    const a = topFolder(e.from);
    const b = topFolder(e.to);
    if (a === b) continue;
    if (!next.has(a)) next.set(a, new Set());
    next.get(a)!.add(b);
  }
  const cycles: string[] = [];
  const state = new Map<string, 'open' | 'done'>();
  const stack: string[] = [];
  const visit = (n: string): void => {
    state.set(n, 'open');
    stack.push(n);
    for (const m of next.get(n) ?? []) {
      if (state.get(m) === 'open') cycles.push([...stack.slice(stack.indexOf(m)), m].join(' -> '));
      else if (!state.has(m)) visit(m);
    }
    stack.pop();
    state.set(n, 'done');
  };
  for (const n of [...next.keys()].sort()) if (!state.has(n)) visit(n);
  return cycles;
}

/** The table as docs/architecture.md shows it. */
export function folderTableMarkdown(rules: readonly FolderRule[] = folderRules): string {
  const lines = ['| folder | what lives there | may import |', '| --- | --- | --- |'];
  for (const r of rules) {
    const may = r.mayImport.length === 0 ? 'nothing' : r.mayImport.map((m) => (m === '*' ? 'everything' : m.endsWith('.ts') ? `\`${m}\`` : `\`${m}/\``)).join(', ');
    lines.push(`| \`${r.folder}/\` | ${r.holds} | ${may} |`);
  }
  lines.push(`| ${outsideFolders.map((f) => `\`${f}/\``).join(', ')} | tests (unit, interop, browser, reliability) and benchmarks | everything; nothing of the product imports them |`);
  return lines.join('\n');
}
