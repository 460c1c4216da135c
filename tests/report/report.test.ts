import { afterEach, describe, expect, it } from 'vitest';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { computeReport, type ReportRecord } from '../../report/figures.js';
import { formatReport, renderHtml } from '../../report/render.js';
import { readJournal } from '../../cloud-sync/journal/read.js';
import type { RecordEnvelope } from '../../cloud-sync/journal/records.js';
import type { RecordInput } from '../../rules/records.js';
import { openJournal, tempDir } from '../cloud-sync/journal/helpers.js';

const KM_PER_DEG_LAT = (6_371_008.8 * Math.PI) / 180 / 1000;
const STOP1 = { lat: 52.5, lon: 13.4 };
const at = (hhmm: string, day = '2026-03-02') => `${day}T${hhmm}:00.000Z`;
const north = (km: number) => ({ lat: STOP1.lat + km / KM_PER_DEG_LAT, lon: STOP1.lon });

type Rec = ReportRecord & { stream: string; coalesceKey?: string };

function pickup(time: string, taskId: string, window: [string, string] | null, position = STOP1): Rec {
  return { kind: 'pickup.completed', createdAt: at(time), kit: 'van-1', stream: 'van-1', body: { taskId, waybill: `W-${taskId}-${time}`, window: window && { from: at(window[0]), to: at(window[1]) }, position: { ...position, at: at(time) } } };
}
function exception(time: string, taskId: string, reason: string): Rec {
  return { kind: 'pickup.exception', createdAt: at(time), kit: 'van-1', stream: 'van-1', body: { taskId, reason } };
}
function etaUpdate(made: string, taskId: string, eta: string): Rec {
  return { kind: 'eta.update', createdAt: at(made), kit: 'van-1', stream: 'eta:van-1', coalesceKey: `eta:van-1:${taskId}`, body: { kit: 'van-1', taskId, eta: at(eta), positionAt: at(made) } };
}
function track(time: string, p: { lat: number; lon: number }): Rec {
  return { kind: 'position.track', createdAt: at(time), kit: 'van-1', stream: 'track:gps-1', body: { ...p, at: at(time) } };
}
function feedback(time: string, score: number | null, complaint: string | null): Rec {
  return { kind: 'customer.feedback', createdAt: at(time), kit: 'branch-1', stream: 'feedback:bank-1', body: { score, complaint } };
}

/** a day of van-1: T1 two parcels on time, T2 absent then picked up late, T3 refused; ETAs with a track; two ratings */
const day: Rec[] = [
  track('09:10', north(10)),
  etaUpdate('07:00', 'T1', '09:40'), // beyond the hour before the pickup: not scored
  etaUpdate('09:10', 'T1', '09:35'), // 5 min late; the naive baseline: 10 km at 30 km/h = 20 min -> 09:30, right
  track('09:20', north(2.5)),
  etaUpdate('09:20', 'T1', '09:28'), // 2 min early; baseline 2.5 km = 5 min -> 09:25, 5 min early
  pickup('09:30', 'T1', ['09:00', '10:00']),
  pickup('09:31', 'T1', ['09:00', '10:00']),
  etaUpdate('09:40', 'T1', '09:45'), // after the pickup: not scored
  exception('10:10', 'T2', 'customer-absent'),
  etaUpdate('10:50', 'T2', '11:10'), // 10 min late, no track point within 5 min: model only
  pickup('11:00', 'T2', ['10:00', '10:30'], north(3)),
  exception('11:30', 'T3', 'refused'),
  feedback('12:00', 5, null),
  feedback('12:05', 2, 'late'),
  { kind: 'consent.missing', createdAt: at('12:10'), kit: 'branch-1', stream: 'bank-1', body: { action: 'drop-off' } },
  // the day before
  { ...pickup('09:00', 'T9', ['08:00', '10:00']), createdAt: at('09:00', '2026-03-01') },
];

describe('the day report (pure figures over records)', () => {
  it('computes on-time pickups, first-attempt success, exceptions by reason, ETA error against the baseline, pieces per stop and feedback', () => {
    const r = computeReport(day, { day: '2026-03-02' });
    expect(r).toMatchObject({
      day: '2026-03-02',
      records: 15,
      kits: ['van-1'],
      pickups: 3,
      stops: 3,
      onTime: { count: 1, of: 2, rate: 0.5 },
      firstAttempt: { count: 1, of: 3, rate: 0.333 },
      exceptions: { total: 2, byReason: { 'customer-absent': { count: 1, of: 3, rate: 0.333 }, refused: { count: 1, of: 3, rate: 0.333 } } },
      piecesPerStop: { stops: 2, mean: 1.5, histogram: { '1': 1, '2': 1 } },
      feedback: { ratings: 2, meanScore: 3.5, scores: { '1': 0, '2': 1, '3': 0, '4': 0, '5': 1 }, complaints: { late: 1 } },
      consentMissing: 1,
    });
    expect(r.eta).toEqual({ samples: 3, maeMin: 5.67, paired: 2, pairedMaeMin: 3.5, baselineMaeMin: 2.5, baselineKmh: 30 });
  });

  it('the baseline speed is a parameter; without a day every record counts; a pieces field counts as given', () => {
    expect(computeReport(day, { day: '2026-03-02', baselineKmh: 60 }).eta.baselineMaeMin).toBe(8.75);
    const all = computeReport(day);
    expect(all.records).toBe(16);
    expect(all.stops).toBe(4);
    const pieces = computeReport([{ ...pickup('09:30', 'T1', null), body: { ...pickup('09:30', 'T1', null).body, pieces: 3 } }]);
    expect(pieces.piecesPerStop).toEqual({ stops: 1, mean: 3, histogram: { '3': 1 } });
    expect(computeReport([])).toMatchObject({ records: 0, onTime: { rate: null }, firstAttempt: { rate: null }, eta: { maeMin: null, baselineMaeMin: null }, feedback: { meanScore: null } });
  });

  it('prints a table and an HTML page with inline SVG charts that needs no network', () => {
    const r = computeReport(day, { day: '2026-03-02' });
    const table = formatReport(r);
    expect(table).toMatch(/on-time pickups\s+50 % \(1 of 2\)/);
    expect(table).toMatch(/first-attempt success\s+33 % \(1 of 3\)/);
    expect(table).toMatch(/exceptions by reason\s+customer-absent 1 \(33 %\), refused 1 \(33 %\)/);
    expect(table).toMatch(/naive baseline\s+2.5 min at 30 km\/h straight line; the model 3.5 min on the same 2/);
    expect(table).toMatch(/feedback score\s+3.5 of 5 \(2 ratings\)/);
    const html = renderHtml(r);
    expect(html.match(/<svg /g)).toHaveLength(6);
    expect(html).not.toMatch(/<script|<link|src=|href=|url\(/);
    expect(html).toContain('customer-absent');
    expect(renderHtml({ ...r, kits: ['<b>x</b>'] })).toContain('&lt;b&gt;x&lt;/b&gt;');
  });
});

describe('the day report from a journal on disk', () => {
  let cleanup: (() => Promise<void>) | undefined;
  afterEach(async () => {
    await cleanup?.();
    cleanup = undefined;
  });

  it('reads every record the journal wrote (all lanes, across a restart) and computes the same figures', async () => {
    const t = await tempDir();
    cleanup = t.cleanup;
    const journalDir = join(t.dir, 'journal');
    let now = 0;
    // a restart in the middle of the day
    const write = async (recs: Rec[]) => {
      const j = await openJournal(journalDir, { now: () => now });
      for (const r of recs) {
        now = Date.parse(r.createdAt);
        const input: RecordInput = { kind: r.kind as RecordInput['kind'], stream: r.stream, kit: r.kit, body: r.body, ...(r.coalesceKey ? { coalesceKey: r.coalesceKey } : {}) };
        await j.append(input);
      }
      await j.close();
    };
    await write(day.slice(0, 8));
    await write(day.slice(8));
    const read: RecordEnvelope[] = [];
    const stats = await readJournal(t.dir, (r) => read.push(r));
    expect(stats.records).toBe(day.length);
    expect(stats.segments).toBeGreaterThanOrEqual(3);
    expect(stats).toMatchObject({ unreadable: 0, oldest: at('09:00', '2026-03-01'), newest: at('12:10') });
    expect(computeReport(read, { day: '2026-03-02' })).toEqual(computeReport(day, { day: '2026-03-02' }));

    // a damaged frame in the middle of a segment is counted and the rest of the journal still read
    const seg = join(journalDir, 'records-00000001.seg');
    const bytes = await readFile(seg);
    bytes[Math.floor(bytes.length / 3)] ^= 0xff;
    await writeFile(seg, bytes);
    const after = await readJournal(t.dir, () => undefined);
    expect(after.unreadable).toBe(1);
    expect(after.records).toBeLessThan(day.length);
    expect(after.records).toBeGreaterThan(day.length / 2);
    await expect(readJournal(join(t.dir, 'nowhere'), () => undefined)).rejects.toThrow(/no journal at .*nowhere: ENOENT/);
  });
});
