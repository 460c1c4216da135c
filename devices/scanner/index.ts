/** The scanner family: its protocols (drivers) and its decoders (`courier-gw decode`). */
import type { DecoderDefinition, ProtocolDefinition } from '../driver.js';
import { scannerDecoders } from './decoders.js';
import { hidKeyboard } from './hid-keyboard-driver.js';
import { hidPosScanner } from './hid-pos-driver.js';
import { serialScanner } from './serial-scanner-driver.js';
import { waybillDecoder } from './waybill.js';

export const protocols: ProtocolDefinition[] = [hidKeyboard, hidPosScanner, serialScanner];
export const decoders: DecoderDefinition[] = [...scannerDecoders, waybillDecoder];
