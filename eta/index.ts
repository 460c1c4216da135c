/** ETA: positions in, eta.update records out, arrival and ETA-error figures kept. */
export { EtaTracker } from './tracker.js';
export type { EtaTrackerStats, EtaUpdateReason } from './tracker.js';
export { defaultEtaOptions } from './options.js';
export type { ClockView, EtaOptions, EtaOptionsInput, EtaTask, EtaTrackerPorts, KitPlan } from './options.js';
export { StraightLineModel } from './model.js';
export type { EtaLeg, EtaModel, EtaRequest, EtaStop } from './model.js';
export { etaErrorStats } from './error-stats.js';
export type { EtaErrorStats } from './error-stats.js';
export { EtaPositionFilter, defaultPositionFilterOptions, positionRejectReasons } from './position-filter.js';
export type { Fix, FilterResult, PositionFilterOptions, PositionRejectReason } from './position-filter.js';
export { SpeedSmoother, DwellLearner } from './smoothing.js';
export { ArrivalLog, timingOf } from './arrivals.js';
export type { Arrival, ArrivalTiming, EtaError, OperatingFigures, StopVisit } from './arrivals.js';
export { registerEtaMetrics } from './metrics.js';
export { KitWorkload } from './workload.js';
export type { WorkloadOptions, WorkloadTask } from './workload.js';
