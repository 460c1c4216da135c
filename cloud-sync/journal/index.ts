export { Journal, DEAD_LETTER_FILE, type JournalOptions, type JournalAlarm } from './journal.js';
export type { JournalMetrics } from './metrics.js';
export { nodeFs, type JournalFs, type JournalFile, type OpenFlags } from './fs-seam.js';
export { measureAppends, type AppendMeasurement } from './measure.js';
