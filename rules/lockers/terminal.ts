/**
 * The commands the locker flows send a drop-point terminal (see README.md): `feedback`
 * (the answer to what the user just did: beep, light, text) and `show` (the screen).
 */
import { topics } from '../../core/topics.js';

export type FeedbackResult = 'accepted' | 'rejected' | 'error' | 'locked-out' | 'info';

export interface Feedback {
  result: FeedbackResult;
  text: string;
  reasons?: string[];
  compartment?: string;
  /** ISO 8601, for `locked-out` */
  until?: string;
  attemptsLeft?: number;
}

export type Screen = 'idle' | 'weigh' | 'consent' | 'drop-off' | 'collection' | 'rate' | 'locked-out';

export const complaints = ['damaged', 'late', 'rude', 'wrong-place', 'other'] as const;

export interface Show {
  screen: Screen;
  text: string;
  compartment?: string;
  compartments?: string[];
  until?: string;
  /** on the rate screen: the scores and complaint categories offered */
  scores?: number[];
  complaints?: readonly string[];
}

export function commandTopic(terminalId: string, command: 'feedback' | 'show'): string {
  return topics.deviceCommand(terminalId, command);
}

const signal: Record<FeedbackResult, { beep: 'ok' | 'error' | 'none'; light: 'green' | 'red' | 'amber' | 'off' }> = {
  accepted: { beep: 'ok', light: 'green' },
  rejected: { beep: 'error', light: 'red' },
  error: { beep: 'error', light: 'red' },
  'locked-out': { beep: 'error', light: 'red' },
  info: { beep: 'none', light: 'amber' },
};

/** the feedback payload with its beep and light */
export function feedbackPayload(feedback: Feedback): Record<string, unknown> {
  return { ...signal[feedback.result], ...feedback };
}
