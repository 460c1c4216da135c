/**
 * `npm run bench [-- --quick] [-- --only name,...]`: runs the benchmarks, prints the table,
 * writes bench/results/latest.json.
 */
import { formatTable, isPlainObject, writeResults, type Bench, type BenchRow } from './harness.js';
import { mqttHopBench } from './mqtt-hop.js';
import { journalBench } from './journal.js';
import { drainBench } from './drain.js';
import { footprintBench } from './footprint.js';
import { scanToVerdictBench } from './scan-to-verdict.js';
import { vsNodeRedBench } from './vs-node-red.js';
import { rulesBench } from './rules.js';
import { loadModelBench } from './load-model.js';
import { fleetBench } from './fleet.js';
import { receiptBench } from './receipt.js';
import { fieldBench } from './field.js';

const benches: Bench[] = [scanToVerdictBench, vsNodeRedBench, loadModelBench, rulesBench, receiptBench, mqttHopBench, journalBench, drainBench, footprintBench, fleetBench, fieldBench];

async function main(): Promise<void> {
  const args = process.argv.slice(2);
  const quick = args.includes('--quick');
  const onlyArg = args.find((a) => a.startsWith('--only='))?.slice('--only='.length);
  const only = onlyArg ? new Set(onlyArg.split(',')) : undefined;
  const rows: BenchRow[] = [];
  const json: Record<string, unknown> = {};
  const log = (line: string) => process.stderr.write(`${line}\n`);
  for (const b of benches) {
    if (only && !only.has(b.key)) continue;
    const t0 = Date.now();
    log(`bench: ${b.name}...`);
    try {
      const r = await b.run({ quick, log });
      rows.push(...r.rows);
      // two benches may write parts of one key (vsNodeRed): merge them
      for (const [k, v] of Object.entries(r.json)) json[k] = isPlainObject(json[k]) && isPlainObject(v) ? { ...json[k], ...v } : v;
      log(`bench: ${b.name} done in ${((Date.now() - t0) / 1000).toFixed(1)} s`);
    } catch (err) {
      log(`bench: ${b.name} FAILED: ${(err as Error).stack ?? err}`);
      rows.push({ bench: b.name, metric: 'error', value: NaN, unit: (err as Error).message.slice(0, 60) });
      process.exitCode = 1;
    }
  }
  process.stdout.write(`${formatTable(rows)}\n`);
  await writeResults(json, rows);
}

await main();
