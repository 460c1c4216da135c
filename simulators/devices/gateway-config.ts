/** The gateway config snippet printed by `courier-gw sim devices`: YAML to paste into a config. */
import { Document, isScalar, visit } from 'yaml';
import type { Simulators } from './simulators.js';

export function gatewayConfigSnippet(sims: Pick<Simulators, 'gatewayConfig'>): string {
  const { simTransport, devices } = sims.gatewayConfig();
  const doc = new Document({ devices });
  // inside a device entry, a map or list of plain values goes on one line (transport, each compartment)
  visit(doc, {
    Map(_key, node, path) {
      if (path.length > 3 && node.items.every((p) => isScalar(p.value))) node.flow = true;
    },
    Seq(_key, node, path) {
      if (path.length > 3 && node.items.every((i) => isScalar(i))) node.flow = true;
    },
  });
  const head = simTransport ? `# HID and BLE devices below are reached through the simulator transport:\nsimTransport: ${simTransport}\n` : '';
  return `${head}${doc.toString({ lineWidth: 0 })}`;
}

