/**
 * The embedded VPCEP simulator: what tests, benchmarks and the CLI may use. Everything else in
 * this folder is its inside (routes, store, faults, authentication).
 */
export { startSimulator } from './server';
export type { Simulator, SimulatorOptions } from './server';
export { SIMULATOR_EXTENSIONS } from './api';
export type { SimulatorExtension } from './api';
export { generateState, parseGenerateSpec } from './generate';
export type { GenerateStateOptions } from './generate';
export { parseSimulatorState } from './state';
export { loadSimulatorStateFile } from './load';
export type {
  ConnectionState,
  PermissionState,
  PublicServiceState,
  ServiceState,
  SimulatorState,
  SimulatorStateInput,
} from './state';
export { LIMIT_UNITS, LIMITED_OPERATIONS } from './faults';
export type { FaultOptions, GatewayRate, LimitUnit } from './faults';
export type { RequestLogEntry, SimulatorStats } from './inspect';
export { ERROR_TABLE } from './errors';
