export { Journal, type JournalOptions, type JournalAlarm } from './journal.js';
export { DEAD_LETTER_FILE } from './dead-letter.js';
export type { JournalMetrics } from './metrics.js';
export { nodeFs, type JournalFs, type JournalFile, type OpenFlags } from './fs-seam.js';
