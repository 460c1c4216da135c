/**
 * The reference dispatch in a child process of its own, so a benchmark's gateway side has
 * its thread to itself. argv[2] is the DispatchSimOptions as JSON; it answers over IPC:
 * { ready: url } once listening, { summary } to 'summary', and exits on 'close'.
 */
import { startDispatchSim, type DispatchSimOptions } from '../simulators/dispatch/index.js';

const opts = JSON.parse(process.argv[2] ?? '{}') as DispatchSimOptions;
const sim = await startDispatchSim(opts);
process.send?.({ ready: sim.url });
process.on('message', (m: unknown) => {
  if (m === 'summary') process.send?.({ summary: sim.summary() });
  if (m === 'close') void sim.close().then(() => process.exit(0));
});
process.on('disconnect', () => void sim.close().then(() => process.exit(0)));
