/**
 * The locker part of a scenario: a drop-point terminal (an MQTT client speaking the
 * terminal protocol) in front of a lock board simulated on a pseudo-terminal. Customers
 * drop parcels off (refused when their task did not consent to a locker, unless they type
 * the consent code dispatch sent them) and rate it; the courier collects them with a code
 * dispatch sent down.
 */
import type { Simulators } from './devices/index.js';
import type { DispatchSim } from './dispatch/index.js';
import { simNow, sleepUntilSim, type SimClockSpec } from './clock.js';
import { Inbox, MqttDevice } from './kit.js';
import type { Scenario } from './scenario.js';
import { topicFilters } from '../core/topics.js';

export interface LockerRunResult {
  droppedOff: number;
  collected: number;
  refused: string[];
  /** every reason code the terminal was answered with */
  reasons: string[];
  /** records the terminal's steps must have written: locker events, consent records, feedback */
  records: number;
}

type Lockers = NonNullable<Scenario['lockers']>;

interface TerminalMessage {
  topic: string;
  payload: { screen?: string; compartment?: string; compartments?: string[]; result?: string; reasons?: string[]; text?: string };
}

/** The terminal's view: commands from the gateway (show, feedback) as they arrive. */
class Terminal extends MqttDevice {
  readonly commands = new Inbox<TerminalMessage>();

  constructor(url: string, id: string, password: string) {
    super(url, id, password);
    this.client.on('connect', () => void this.client.subscribeAsync(topicFilters.deviceCommands(id), { qos: 1 }).catch(() => undefined));
    this.client.on('message', (topic, buf) => {
      try {
        this.commands.push({ topic, payload: JSON.parse(buf.toString()) as TerminalMessage['payload'] });
      } catch {
        // not JSON: not a command of the terminal protocol
      }
    });
  }
}

export function lockerGatewayDevices(l: Lockers, kit: string, sims: Simulators, terminalHash: string): Record<string, unknown>[] {
  const board = sims.devices.find((d) => d.id === l.bank)!;
  return [
    { id: 'terminal-1', kind: 'terminal', kit, transport: { type: 'mqtt' }, credentials: { passwordHash: terminalHash }, lockerBank: l.bank },
    { id: l.bank, kind: 'locker', kit, protocol: 'kerong-cu16', transport: board.transport, lockedBit: 0, pollMs: 150, doorOpenAlarmMs: l.doorOpenAlarmS * 1000, compartments: l.compartments },
  ];
}

/** What dispatch sends down before the day: the tasks of the parcels it knows, and the customers' consent codes. */
export function lockerDownlink(l: Lockers, kit: string, depot: { lat: number; lon: number }, day: { from: string; to: string }): Record<string, unknown>[] {
  return l.dropOffs.flatMap((d, i) => [
    ...(d.task
      ? [{ id: `locker-task-${d.waybill}`, kind: 'task.assign', task: { id: `L${String(i + 1).padStart(2, '0')}`, kit, waybill: d.waybill, customer: `customer of ${d.waybill}`, address: { text: 'drop point', ...depot }, window: day, service: 'standard', sequence: 100 + i, ...d.task } }]
      : []),
    ...(d.consentCode ? [{ id: `consent-${d.waybill}`, kind: 'consent.code', waybill: d.waybill, code: d.consentCode, expiresAt: day.to }] : []),
  ]);
}

export function lockerSimSpec(l: Lockers): Record<string, unknown> {
  const boards = [...new Set(l.compartments.map((c) => c.board))];
  return { protocol: 'kerong-cu16', id: l.bank, boards, lockedBit: 0, user: { closeAfterMs: null } };
}

export async function runLockers(
  l: Lockers,
  ctx: { mqttUrl: string; terminalPassword: string; sims: Simulators; dispatch: DispatchSim; gatewayId: string; clock: SimClockSpec; at: (hhmm: string) => number; log: (line: string) => void },
): Promise<LockerRunResult> {
  const { sims, clock, log } = ctx;
  const terminal = new Terminal(ctx.mqttUrl, 'terminal-1', ctx.terminalPassword);
  await terminal.connected();
  const result: LockerRunResult = { droppedOff: 0, collected: 0, refused: [], reasons: [], records: 0 };
  terminal.client.on('message', (topic, buf) => {
    try {
      const p = JSON.parse(buf.toString()) as TerminalMessage['payload'];
      if (topic.endsWith('/feedback')) result.reasons.push(...(p.reasons ?? []));
    } catch {
      // not JSON
    }
  });
  const where = (id: string) => l.compartments.find((c) => c.id === id)!;
  const hhmm = (ms: number) => new Date(ms).toISOString().slice(11, 16);
  const nowIso = () => new Date(simNow(clock)).toISOString();
  /** the customer answers the rate screen */
  const rate = async (rating: NonNullable<Lockers['dropOffs'][number]['rating']> | undefined, mark: number) => {
    if (!rating) return;
    const screen = await terminal.commands.wait((m) => m.payload.screen === 'rate', mark, 10_000);
    if (!screen) return log(`${hhmm(simNow(clock))} no rate screen`);
    const next = terminal.commands.mark;
    await terminal.publish('rating', { ...rating, at: nowIso() });
    const thanks = await terminal.commands.wait((m) => m.topic.endsWith('/feedback'), next, 10_000);
    if (thanks?.payload.result === 'accepted') result.records++;
    log(`${hhmm(simNow(clock))} customer ${rating.complaint ? `complaint "${rating.complaint}"` : `rating ${rating.score}`}: ${thanks?.payload.result ?? 'no answer'}`);
  };
  try {
    for (const d of l.dropOffs) {
      await sleepUntilSim(clock, ctx.at(d.at));
      let mark = terminal.commands.mark;
      await terminal.publish('scan', { code: d.waybill, symbology: 'code128', size: d.size, at: nowIso() });
      let show = await terminal.commands.wait((m) => m.payload.screen === 'drop-off' || m.payload.result === 'rejected' || m.payload.result === 'error', mark, 10_000);
      if (show?.payload.reasons?.includes('CONSENT_MISSING')) {
        result.records++;
        if (d.consentCode) {
          // the customer types the consent code dispatch sent them
          mark = terminal.commands.mark;
          await terminal.publish('code', { code: d.consentCode, at: nowIso() });
          show = await terminal.commands.wait((m) => m.payload.screen === 'drop-off' || m.payload.result === 'rejected' || m.payload.result === 'error', mark, 10_000);
          if (show?.payload.compartment) {
            result.records++;
            log(`${hhmm(simNow(clock))} drop-off ${d.waybill} refused for want of consent; the customer's consent code accepted`);
          }
        }
      }
      if (!show?.payload.compartment) {
        result.refused.push(`${d.waybill}: ${show?.payload.reasons?.join(', ') ?? 'no answer'}`);
        log(`${hhmm(simNow(clock))} drop-off ${d.waybill} refused: ${show?.payload.text ?? 'no answer'}`);
        continue;
      }
      const c = where(show.payload.compartment);
      mark = terminal.commands.mark;
      // the customer puts the parcel in and closes the door
      await new Promise((r) => setTimeout(r, 300));
      await sims.control(l.bank, 'parcel', { board: c.board, lock: c.lock, present: true });
      await sims.control(l.bank, 'close', { board: c.board, lock: c.lock });
      const done = await terminal.commands.wait((m) => m.topic.endsWith('/feedback') && (m.payload.result === 'accepted' || m.payload.result === 'error' || m.payload.result === 'rejected'), mark, 15_000);
      if (done?.payload.result === 'accepted') result.droppedOff++;
      log(`${hhmm(simNow(clock))} drop-off ${d.waybill} in ${c.id}: ${done?.payload.result ?? 'no answer'}`);
      if (done?.payload.result === 'accepted') await rate(d.rating, mark);
    }
    if (l.collection) {
      const col = l.collection;
      await ctx.dispatch.addDownlink({
        gatewayId: ctx.gatewayId,
        items: [{ id: `code-${col.courierId}`, kind: 'collection.code', bank: l.bank, courier: col.courierId, code: col.code, expiresAt: new Date(ctx.at(col.at) + 4 * 3600_000).toISOString() }],
      });
      await sleepUntilSim(clock, ctx.at(col.at));
      // a wrong code first, as fingers slip
      let mark = terminal.commands.mark;
      await terminal.publish('code', { code: `${col.code}9` });
      const wrong = await terminal.commands.wait((m) => m.topic.endsWith('/feedback'), mark, 10_000);
      if (wrong?.payload.result === 'rejected') log(`${hhmm(simNow(clock))} wrong collection code refused`);
      // the downlink may take a poll to arrive: retry the right code a few times
      for (let attempt = 0; attempt < 10; attempt++) {
        mark = terminal.commands.mark;
        await terminal.publish('code', { code: col.code });
        const first = await terminal.commands.wait((m) => m.payload.screen === 'collection' || m.topic.endsWith('/feedback'), mark, 10_000);
        if (first?.payload.screen === 'collection') {
          const opened = new Set<string>();
          for (;;) {
            const open = await terminal.commands.wait((m) => (m.payload.screen === 'collection' && !!m.payload.compartment && !opened.has(m.payload.compartment)) || (m.topic.endsWith('/feedback') && m.payload.result !== 'info'), mark, 20_000);
            if (!open || !open.payload.compartment || open.topic.endsWith('/feedback')) break;
            opened.add(open.payload.compartment);
            const c = where(open.payload.compartment);
            await new Promise((r) => setTimeout(r, 300));
            await sims.control(l.bank, 'parcel', { board: c.board, lock: c.lock, present: false });
            await sims.control(l.bank, 'close', { board: c.board, lock: c.lock });
          }
          const done = await terminal.commands.wait((m) => m.topic.endsWith('/feedback') && m.payload.result !== 'info', mark, 20_000);
          result.collected = opened.size;
          log(`${hhmm(simNow(clock))} collection by ${col.courierId}: ${opened.size} compartment(s), ${done?.payload.result ?? 'no answer'}`);
          if (opened.size > 0) await rate(col.rating, mark);
          break;
        }
        await new Promise((r) => setTimeout(r, 500));
      }
    }
  } finally {
    await terminal.close();
  }
  result.records += result.droppedOff + result.collected;
  return result;
}
