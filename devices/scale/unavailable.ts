/** The reason a transport cannot work here, for the device status. */
import { TransportUnavailableError } from '../transports/types.js';

export function unavailableReason(error: unknown): string {
  if (error instanceof TransportUnavailableError) return error.reason;
  return error instanceof Error ? error.message : String(error);
}
