export { startDispatchSim, type DispatchSim, type DispatchSimOptions, type DispatchSummary } from './server.js';
export { runDispatchSimCli, dispatchSimOptionsFromArgv, dispatchSimUsage } from './cli.js';
export type { DispatchFaults } from './faults.js';
export type { DownlinkFeed, DownlinkItem } from './downlink-queue.js';
export type { StoredRecord, StoreSummary } from './store.js';
export type { AssignmentSummary, PickupRequest, RequestState } from './assigner.js';
