/**
 * The compiled gateway as a benchmark runs it: the simulators' GatewayProcess, with the
 * node flags of BENCH_GATEWAY_NODE_ARGS (e.g. "--cpu-prof --cpu-prof-dir=/tmp/prof" to
 * profile a run), started and healthy.
 */
import { GatewayProcess } from '../simulators/gateway-process.js';
import { BENCH_API_TOKEN } from './gateway-config.js';

export { GatewayProcess };

const nodeArgs = (process.env.BENCH_GATEWAY_NODE_ARGS ?? '').split(/\s+/).filter((a) => a !== '');

/** spawns the gateway and resolves once /healthz answers 200 (its startToHealthyMs set) */
export async function startGatewayProcess(configFile: string, httpPort: number, timeoutMs = 30_000): Promise<GatewayProcess> {
  const gw = new GatewayProcess({ configFile, httpUrl: `http://127.0.0.1:${httpPort}`, nodeArgs, token: BENCH_API_TOKEN });
  await gw.start(timeoutMs);
  return gw;
}

/** the gateway's /metrics text, read with the bench's token; empty when it does not answer */
export async function metricsOf(httpUrl: string): Promise<string> {
  try {
    const res = await fetch(`${httpUrl}/metrics`, { headers: { authorization: `Bearer ${BENCH_API_TOKEN}` }, signal: AbortSignal.timeout(3000) });
    return res.status === 200 ? await res.text() : '';
  } catch {
    return '';
  }
}

/** a sample of the Prometheus text, `name{labels}` as written; NaN when absent */
export function sample(text: string, series: string): number {
  const line = text.split('\n').find((l) => l.startsWith(`${series} `));
  return line ? Number(line.slice(series.length + 1)) : Number.NaN;
}
