/** Scale firmware stubs: a weighing platform and the device side of each scale protocol. */
export { ScalePlatform, type PlatformOptions, type PlatformReading, type PlatformResult } from './platform.js';
export { MtSicsStub, type MtSicsStubOptions } from './mt-sics-stub.js';
export { ContinuousScaleStub, type ContinuousStubOptions } from './continuous-stub.js';
export { HidPosScaleStub, type HidPosStubOptions } from './hid-pos-stub.js';
export { BleWeightScaleStub, type BleWeightStubOptions } from './ble-weight-stub.js';
export { LineScaleStub } from './line-scale-stub.js';
