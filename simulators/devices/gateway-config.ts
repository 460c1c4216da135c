/** The gateway config snippet printed by `courier-gw sim devices`: YAML to paste into a config. */
import { stringify } from 'yaml';
import type { Simulators } from './simulators.js';

export function gatewayConfigSnippet(sims: Pick<Simulators, 'gatewayConfig'>): string {
  const { simTransport, devices } = sims.gatewayConfig();
  const head = simTransport
    ? `# HID and BLE devices below are reached through the simulator transport:\nsimTransport: ${simTransport}\n`
    : '';
  return `${head}${stringify({ devices }, { lineWidth: 0 })}`;
}
