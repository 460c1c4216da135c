/**
 * Builds a gateway from a config: the runtime plus every component, in start order.
 */
import type { Logger } from 'pino';
import type { Transports } from '../devices/transports/types.js';
import type { ProtocolDefinition } from '../devices/driver.js';
import type { Config } from './config.js';
import { Gateway } from './runtime.js';

export interface AssembleOptions {
  log?: Logger;
  transports?: Transports;
  findProtocol?: (name: string) => ProtocolDefinition | undefined;
}

export function assembleGateway(config: Config, options: AssembleOptions = {}): Gateway {
  const sim = config.simulation;
  const now = sim ? () => sim.simStart + (Date.now() - sim.realStart) * sim.factor : Date.now;
  const gateway = new Gateway(config, { ...options, now });
  return gateway;
}
