/**
 * `courier-gw report`: the day's figures from the journal on disk (not from a running
 * gateway's memory): a table on stdout (or JSON), and an HTML page with charts.
 */
import { writeFile } from 'node:fs/promises';
import path from 'node:path';
import { readJournal, type JournalReadStats } from '../cloud-sync/journal/read.js';
import type { RecordEnvelope } from '../cloud-sync/journal/records.js';
import { computeReport, type DayReport } from '../report/figures.js';
import { formatReport, renderHtml } from '../report/render.js';

export interface ReportCliOptions {
  /** YYYY-MM-DD (UTC); default today */
  day?: string;
  html?: string;
  dataDir: string;
  json?: boolean;
  baselineKmh?: number;
}

export interface ReportCliResult {
  report: DayReport;
  journal: JournalReadStats;
}

export async function runReport(o: ReportCliOptions, now = Date.now()): Promise<ReportCliResult> {
  const day = o.day ?? new Date(now).toISOString().slice(0, 10);
  const records: RecordEnvelope[] = [];
  // only the day's records are kept in memory
  const journal = await readJournal(path.resolve(o.dataDir), (r) => {
    if (r.createdAt.startsWith(day)) records.push(r);
  });
  const report = computeReport(records, { day, baselineKmh: o.baselineKmh });
  if (o.html) await writeFile(o.html, renderHtml(report));
  if (o.json) process.stdout.write(`${JSON.stringify({ ...report, journal }, null, 2)}\n`);
  else {
    process.stdout.write(`${formatReport(report)}\n`);
    process.stdout.write(`\njournal: ${journal.records} records in ${journal.segments} segment(s), ${journal.oldest ?? '-'} to ${journal.newest ?? '-'}${journal.unreadable ? `, ${journal.unreadable} unreadable` : ''}\n`);
    if (o.html) process.stdout.write(`html: ${o.html}\n`);
  }
  return { report, journal };
}
