/**
 * Entry point of the dashboard: `mountDashboard(gateway)` before `gateway.start()`.
 * Routes are registered at once; the bus subscription starts with the gateway (a
 * component named `dashboard`), so mount it before the components whose retained
 * messages (kit tasks) it should see from the start.
 */
import type { Gateway } from '../runtime.js';
import { Dashboard, type DashboardOptions } from './dashboard.js';

export type { DashboardOptions } from './dashboard.js';
export type { Snapshot, DeviceView, KitView, VerdictEntry, AlarmView, BusMessage } from './live-state.js';

export function mountDashboard(gateway: Gateway, options: DashboardOptions = {}): { stop(): void } {
  const dashboard = new Dashboard(gateway, options);
  dashboard.mount();
  gateway.add({
    name: 'dashboard',
    start: () => dashboard.start(),
    stop: () => dashboard.stop(),
    status: () => dashboard.status(),
  });
  return { stop: () => dashboard.stopNow() };
}
