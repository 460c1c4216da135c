/**
 * Every protocol and decoder the gateway knows, as one explicit list. A family adds its
 * entries in its own index; a protocol that owns its decoder (a line scale) brings it
 * along. Tests run over every entry, and build registries of their own with
 * `createRegistry()` to add a protocol the way a new one is added.
 */
import type { DecoderDefinition, ProtocolDefinition } from './driver.js';
import * as scale from './scale/index.js';
import * as scanner from './scanner/index.js';
import * as gps from './gps/index.js';
import * as locker from './locker/index.js';
import * as printer from './printer/index.js';

export interface ProtocolRegistry {
  readonly protocols: readonly ProtocolDefinition[];
  readonly decoders: readonly DecoderDefinition[];
  findProtocol(name: string): ProtocolDefinition | undefined;
  findDecoder(name: string): DecoderDefinition | undefined;
}

export function createRegistry(protocols: readonly ProtocolDefinition[], familyDecoders: readonly DecoderDefinition[]): ProtocolRegistry {
  const decoders = [...familyDecoders, ...protocols.flatMap((p) => (p.ownDecoder ? [p.ownDecoder] : []))];
  return {
    protocols,
    decoders,
    findProtocol: (name) => protocols.find((p) => p.name === name),
    findDecoder: (name) => decoders.find((d) => d.name === name),
  };
}

export const registry: ProtocolRegistry = createRegistry(
  [...scale.protocols, ...scanner.protocols, ...gps.protocols, ...locker.protocols, ...printer.protocols],
  [...scale.decoders, ...scanner.decoders, ...gps.decoders, ...locker.decoders, ...printer.decoders],
);

export const { protocols, decoders } = registry;

export function findProtocol(name: string): ProtocolDefinition | undefined {
  return registry.findProtocol(name);
}

export function findDecoder(name: string): DecoderDefinition | undefined {
  return registry.findDecoder(name);
}
