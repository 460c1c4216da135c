/**
 * Every protocol and decoder the gateway knows, as one explicit list. A family adds its
 * entries in its own index; tests run over every entry.
 */
import type { DecoderDefinition, ProtocolDefinition } from './driver.js';
import * as scale from './scale/index.js';
import * as scanner from './scanner/index.js';
import * as gps from './gps/index.js';
import * as locker from './locker/index.js';

export const protocols: readonly ProtocolDefinition[] = [
  ...scale.protocols,
  ...scanner.protocols,
  ...gps.protocols,
  ...locker.protocols,
];

export const decoders: readonly DecoderDefinition[] = [
  ...scale.decoders,
  ...scanner.decoders,
  ...gps.decoders,
  ...locker.decoders,
];

export function findProtocol(name: string): ProtocolDefinition | undefined {
  return protocols.find((p) => p.name === name);
}

export function findDecoder(name: string): DecoderDefinition | undefined {
  return decoders.find((d) => d.name === name);
}
