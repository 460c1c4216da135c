/** The locker drop-off and collection flows and their ports. */
export { LockerFlows } from './flows.js';
export { CodeLockout, type CodeLockoutOptions, type WrongCodeResult } from './lockout.js';
export { HashedCodes, HashedCollectionCodes, type CollectionCodeInput, type KeyValueStore } from './collection-codes.js';
export { ConsentBook, handovers, lockerConsent, type ConsentCodeInput, type ConsentPort, type ConsentVerdict, type Handover, type ParcelTask } from './consent.js';
export { defaultDropOffValidator, defaultSizeByWeight, parcelSize, type SizeByWeight } from './drop-off-validation.js';
export { commandTopic, feedbackPayload, type Feedback, type FeedbackResult, type Screen, type Show } from './terminal.js';
export type {
  CollectionCodeStore,
  CollectionGrant,
  DropOffVerdict,
  LockerBankPort,
  LockerFlowsOptions,
  Publish,
  ValidateDropOff,
} from './ports.js';
