/** ETA: positions in, eta.update records out, arrival and ETA-error figures kept. */
export { EtaTracker } from './tracker.js';
export type { EtaTrackerStats, EtaUpdateReason } from './tracker.js';
export { defaultEtaOptions } from './options.js';
export type { ClockView, EtaOptions, EtaOptionsInput, EtaTask, EtaTrackerPorts } from './options.js';
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
export { LearnedModel, defaultLearnedOptions, emptyLearnedState, parseLearnedState, roadClassOf, roadClasses } from './learned.js';
export type { LearnedModelOptions, LearnedState, RoadClass } from './learned.js';
export { naiveEtaErrors, naiveEtaMs, pointAt, replayEta, trackOfRecords } from './replay.js';
export type { ReplayResult, TrackPoint } from './replay.js';
