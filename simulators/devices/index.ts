/** Simulated devices on real transports: the API the scenario runner uses and the CLI core. */
export { startSimulators, type Simulators, type SimulatedDevice, type StartSimulatorsOptions } from './simulators.js';
export { runSimCli, simDevicesUsage, type SimCli, type SimCliIo } from './cli.js';
export { parseSimSpec, simSpecSchema, SimSpecError, type SimSpec, type SimSpecInput, type DeviceSpec, type SimProtocol } from './spec.js';
export { parseControlLine, runControlLine, startControlServer, controlHelp, type ControlServer } from './control.js';
export { gatewayConfigSnippet } from './gateway-config.js';
export { SimTransportServer } from './remote-server.js';
export type { ControlResult, GatewayDeviceEntry, SimDevice } from './sim-device.js';
export type { SerialEndpoint } from './serial-endpoint.js';
