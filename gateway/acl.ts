/**
 * Who may do what on the bus: one module, testable without a socket. Deny by default.
 */
export type Principal =
  | { role: 'device'; id: string; kit: string; kind: string }
  | { role: 'operator'; username: string };

export const TOPIC_ROOT = 'cg/v1';

/** Topics of the bus, built in one place. */
export const topics = {
  deviceStatus: (id: string) => `${TOPIC_ROOT}/devices/${id}/status`,
  deviceEvent: (id: string, type: string) => `${TOPIC_ROOT}/devices/${id}/events/${type}`,
  deviceCommand: (id: string, cmd: string) => `${TOPIC_ROOT}/devices/${id}/commands/${cmd}`,
  deviceErrors: (id: string) => `${TOPIC_ROOT}/devices/${id}/errors`,
  kitVerdicts: (kit: string) => `${TOPIC_ROOT}/kits/${kit}/verdicts`,
  kitTasks: (kit: string) => `${TOPIC_ROOT}/kits/${kit}/tasks`,
  /** one task's state (picked up, exception); the id is one topic level, so '/', '+' and '#' are escaped */
  kitTaskState: (kit: string, taskId: string) => `${TOPIC_ROOT}/kits/${kit}/tasks/${encodeURIComponent(taskId)}`,
  gatewayStatus: () => `${TOPIC_ROOT}/gateway/status`,
};

/** A device topic split into its parts, or undefined when it is not one. */
export interface DeviceTopic {
  deviceId: string;
  section: 'status' | 'events' | 'commands' | 'errors';
  name?: string;
}

export function parseDeviceTopic(topic: string): DeviceTopic | undefined {
  const parts = topic.split('/');
  if (parts[0] !== 'cg' || parts[1] !== 'v1' || parts[2] !== 'devices' || !parts[3]) return undefined;
  const section = parts[4];
  if ((section === 'status' || section === 'errors') && parts.length === 5) return { deviceId: parts[3], section };
  if ((section === 'events' || section === 'commands') && parts.length === 6 && parts[5]) {
    return { deviceId: parts[3], section, name: parts[5] };
  }
  return undefined;
}

/**
 * True when every topic the filter can match is also matched by `allowed`
 * (both are MQTT topic filters).
 */
export function filterWithin(filter: string, allowed: string): boolean {
  const f = filter.split('/');
  const a = allowed.split('/');
  for (let i = 0; i < f.length; i++) {
    const al = a[i];
    if (al === undefined) return false;
    if (al === '#') return true;
    const fl = f[i];
    if (fl === '#') return false;
    if (al === '+') continue;
    if (fl === '+' || fl !== al) return false;
  }
  // 'a/b/#' also matches its parent 'a/b'
  return f.length === a.length || (a.length === f.length + 1 && a[f.length] === '#');
}

export type Decision = { allowed: true } | { allowed: false; reason: string };
const allow: Decision = { allowed: true };
const deny = (reason: string): Decision => ({ allowed: false, reason });

export function mayPublish(who: Principal, topic: string): Decision {
  if (topic.startsWith('$')) return deny('reserved topic');
  const t = parseDeviceTopic(topic);
  if (who.role === 'operator') {
    return t?.section === 'commands' ? allow : deny('operators publish only commands');
  }
  if (!t || t.deviceId !== who.id) return deny('a device publishes only on its own topics');
  if (t.section === 'status' || t.section === 'events') return allow;
  return deny(`a device may not publish ${t.section}`);
}

export function maySubscribe(who: Principal, filter: string): Decision {
  if (filter.startsWith('$')) return deny('reserved topic');
  if (who.role === 'operator') return allow;
  const own = `${TOPIC_ROOT}/devices/${who.id}`;
  const permitted = [`${own}/commands/#`, `${own}/errors`, `${TOPIC_ROOT}/kits/${who.kit}/#`];
  return permitted.some((p) => filterWithin(filter, p)) ? allow : deny('outside the device’s own commands, errors and kit');
}
