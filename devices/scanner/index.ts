/** The scanner family: its protocols (drivers) and its decoders (`courier-gw decode`). */
import type { DecoderDefinition, ProtocolDefinition } from '../driver.js';

export const protocols: ProtocolDefinition[] = [];
export const decoders: DecoderDefinition[] = [];
