/** The sync transports to dispatch and the downlink, for the gateway runtime to wire. */
export { HttpSyncer, type HttpSyncerOptions } from './http.js';
export { MqttBridge, type MqttBridgeOptions, type MqttBridgeStats, type MqttBridgeTls } from './mqtt-bridge.js';
export {
  DownlinkApplier,
  parseDownlinkItem,
  type DownlinkApplierOptions,
  type DownlinkApplierStats,
  type DownlinkHandlers,
  type DownlinkItem,
  type DownlinkState,
  type DownlinkStatePort,
  type DownlinkTask,
  type ItemResult,
} from './downlink-items.js';
export { DownlinkPoller, type DownlinkPollerOptions, type DownlinkPollerStats } from './downlink.js';
export { registerLinkMetrics, type LinkMetricSources } from './metrics.js';
export type { LinkAlarm, LinkState, LinkStats, SyncLink } from './link.js';
