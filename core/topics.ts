/**
 * The topics of the bus, built and split in one place. Every topic starts with `cg/v1/`.
 */
export const TOPIC_ROOT = 'cg/v1';

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

/** Topic filters (MQTT wildcards) the gateway and its tools subscribe with. */
export const topicFilters = {
  /** everything on the bus */
  all: `${TOPIC_ROOT}/#`,
  /** every command to every device */
  allCommands: `${TOPIC_ROOT}/devices/+/commands/+`,
  /** every command to one device */
  deviceCommands: (id: string) => `${TOPIC_ROOT}/devices/${id}/commands/#`,
  /** everything for one kit */
  kit: (kit: string) => `${TOPIC_ROOT}/kits/${kit}/#`,
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

/** The topic without the `cg/v1/` root (for display), or the topic itself when it has none. */
export function topicBelowRoot(topic: string): string {
  return topic.startsWith(`${TOPIC_ROOT}/`) ? topic.slice(TOPIC_ROOT.length + 1) : topic;
}
