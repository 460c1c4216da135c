/**
 * Who may do what on the bus: one module, testable without a socket. Deny by default.
 */
import { parseDeviceTopic, topicFilters, topics } from '../core/topics.js';

export type Principal =
  | { role: 'device'; id: string; kit: string; kind: string }
  | { role: 'operator'; username: string };

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
  const permitted = [topicFilters.deviceCommands(who.id), topics.deviceErrors(who.id), topicFilters.kit(who.kit)];
  return permitted.some((p) => filterWithin(filter, p)) ? allow : deny('outside the device’s own commands, errors and kit');
}

/**
 * Whether a message on `topic` may be delivered to `who`: checked at every delivery, so a
 * subscription (or a queued message) never outlives what its holder may read. A topic is
 * a filter without wildcards: what a principal may read is what it may subscribe to.
 */
export function mayRead(who: Principal, topic: string): Decision {
  return maySubscribe(who, topic);
}

/** One name per principal, the owner of the persistent sessions it makes. */
export function principalKey(who: Principal): string {
  return who.role === 'device' ? `device:${who.id}` : `operator:${who.username}`;
}
