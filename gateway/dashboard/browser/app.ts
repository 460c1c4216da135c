/**
 * The dashboard's browser script: login, the snapshot, then every bus message from the
 * event stream folded into the view. Everything is written with textContent: no payload
 * is ever parsed as HTML. Type-checked with the DOM library (tsconfig.browser.json) and
 * compiled to a classic script (one function scope, no module syntax) served as app.js.
 */
(function () {
  const MAX_VERDICTS = 50;
  const MAX_ACTIVITY = 60;
  const SHOWN_VERDICTS = 12;
  /** the root of every bus topic (core/topics.ts; this script runs alone in the browser) */
  const TOPIC_ROOT = 'cg/v1/';

  /** a JSON object from the gateway, read defensively: any field may be missing */
  type Dict = Record<string, unknown>;

  interface BusMessage {
    topic: string;
    at: string;
    payload: unknown;
  }
  interface DeviceEventView {
    type: string;
    at?: string;
    payload: unknown;
  }
  interface DeviceView {
    id: string;
    kind: string;
    kit: string;
    state: string;
    protocol?: string;
    transport?: string;
    since?: string;
    reason?: string;
    faults?: Record<string, number>;
    errors?: number;
    lastEvent?: DeviceEventView;
    lastError?: { reason: string; at: string };
    /** a printer's last print; its page is the PNG at /api/printers/{id}/last-print.png */
    lastPrint?: { id: string; kind: string; at: string };
    /** when the dashboard saw it come to its state (wall clock) */
    seenSince?: string;
  }
  interface VerdictEntry {
    kit: string;
    at: string;
    verdict: unknown;
    fresh?: number;
  }
  /** lat, lon, wall-clock ms */
  type TrackPoint = [number, number, number];
  interface EtaView {
    taskId: string;
    eta: string;
    distanceM?: number;
    at: string;
  }
  interface ExceptionView {
    kit: string;
    taskId: string;
    customer: string | null;
    waybill: string | null;
    reason: string;
    note: string | null;
    at: string;
  }
  interface KitView {
    id: string;
    courierId?: string;
    tasks: unknown;
    tasksAt?: string;
    /** single tasks' states told since the list, by task id */
    taskStates?: Record<string, unknown>;
    verdicts: VerdictEntry[];
    track?: TrackPoint[];
    etas?: EtaView[];
  }
  interface SeriesView {
    bucketS: number;
    t: number[];
    accepted: number[];
    review: number[];
    rejected: number[];
    p50: (number | null)[];
    p99: (number | null)[];
    backlog: (number | null)[];
    synced: (number | null)[];
    refused: number[];
  }
  interface RateView {
    count: number;
    of: number;
    rate: number | null;
  }
  interface Figures {
    day: string | null;
    stops: number;
    pickups: number;
    onTime: RateView;
    firstAttempt: RateView;
    exceptions: { total: number; byReason: Record<string, RateView> };
    eta: { samples: number; maeMin: number | null };
  }
  interface LiveUpdate {
    series?: SeriesView;
    figures?: Figures | null;
    exceptions?: ExceptionView[];
    etas?: Record<string, EtaView[]>;
  }
  interface AlarmView {
    kind: string;
    source: string;
    message: string;
    since?: string;
  }
  interface Snapshot {
    gateway?: { id?: string };
    operator?: string;
    devices?: DeviceView[];
    kits?: KitView[];
    status?: Dict;
    alarms?: AlarmView[];
    activity?: BusMessage[];
    series?: SeriesView;
    figures?: Figures | null;
    exceptions?: ExceptionView[];
    geofenceM?: number;
  }
  interface DevicesUpdate {
    devices?: DeviceView[];
    alarms?: AlarmView[];
  }
  interface View {
    gateway: { id?: string };
    operator?: string;
    devices: Record<string, DeviceView>;
    kits: Record<string, KitView>;
    status?: Dict;
    alarms: AlarmView[];
    activity: BusMessage[];
    series?: SeriesView;
    figures?: Figures | null;
    exceptions: ExceptionView[];
    geofenceM: number;
  }

  let S: View | null = null;
  /** the bus activity list: filters and pause */
  const busView = { device: '', kind: '', paused: null as BusMessage[] | null };
  /** the per-device page shown (#device/{id}), or '' */
  let shownDevice = '';
  let source: EventSource | null = null;
  let dirty = false;
  /** each printer's image, kept across renders so a page is fetched once per print */
  const printImages: Record<string, HTMLImageElement> = {};

  function $<T extends HTMLElement = HTMLElement>(id: string): T {
    return document.getElementById(id) as T;
  }
  function el(tag: string, cls?: string, text?: unknown): HTMLElement {
    const e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add<T extends Node>(parent: T, ...children: (Node | null | undefined | false | '')[]): T {
    for (const c of children) if (c) parent.appendChild(c);
    return parent;
  }
  function clear<T extends Element>(e: T): T {
    while (e.firstChild) e.removeChild(e.firstChild);
    return e;
  }
  function isObj(v: unknown): v is Dict {
    return v !== null && typeof v === 'object' && !Array.isArray(v);
  }
  function num(v: unknown): v is number {
    return typeof v === 'number' && isFinite(v);
  }
  /** a field as text, or '' when it is missing */
  function txt(v: unknown): string {
    return v === undefined || v === null ? '' : String(v);
  }

  function ago(iso: unknown): string {
    if (!iso) return '';
    const s = Math.round((Date.now() - Date.parse(String(iso))) / 1000);
    if (!isFinite(s)) return '';
    if (s < 5) return 'just now';
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 86400) return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min ago';
    return Math.floor(s / 86400) + ' d ago';
  }
  function clock(iso: unknown): string {
    const d = new Date(iso as string);
    if (isNaN(d.getTime())) return '';
    return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  }
  function duration(ms: unknown): string {
    if (!num(ms) || ms <= 0) return 'none';
    const s = Math.round(ms / 1000);
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }
  function grams(g: unknown): string {
    if (!num(g)) return '? g';
    return Math.abs(g) >= 1000 ? (g / 1000).toFixed(3) + ' kg' : Math.round(g * 10) / 10 + ' g';
  }
  function short(v: unknown, n: number): string {
    const s: string | undefined = typeof v === 'string' ? v : JSON.stringify(v);
    if (s === undefined) return '';
    return s.length > n ? s.slice(0, n - 1) + '…' : s;
  }
  function sum(o: unknown): number {
    let t = 0;
    if (isObj(o)) for (const k in o) if (num(o[k])) t += o[k];
    return t;
  }

  /* ---------- state ---------- */

  function fromSnapshot(snap: Snapshot): void {
    const devices: Record<string, DeviceView> = {};
    (snap.devices || []).forEach((d) => (devices[d.id] = d));
    const kits: Record<string, KitView> = {};
    (snap.kits || []).forEach((k) => (kits[k.id] = k));
    S = {
      gateway: snap.gateway || {}, operator: snap.operator, devices, kits,
      status: snap.status, alarms: snap.alarms || [], activity: (snap.activity || []).slice(-MAX_ACTIVITY),
      series: snap.series, figures: snap.figures, exceptions: snap.exceptions || [], geofenceM: num(snap.geofenceM) ? snap.geofenceM : 75,
    };
    render();
  }

  function device(v: View, id: string): DeviceView {
    if (!v.devices[id]) v.devices[id] = { id, kind: '', kit: '', state: 'offline', faults: {}, errors: 0 };
    return v.devices[id];
  }
  function kit(v: View, id: string): KitView {
    if (!v.kits[id]) v.kits[id] = { id, tasks: null, verdicts: [] };
    return v.kits[id];
  }

  function onBus(m: BusMessage): void {
    const v = S;
    if (!v) return;
    const t = m.topic.split('/');
    const p = m.payload;
    if (t[2] === 'devices' && t[3]) {
      const d = device(v, t[3]);
      if (t[4] === 'status' && isObj(p)) {
        // m.at is the gateway's receive time on the wall clock; the device's own `since` may be a simulated clock
        if (p.state !== d.state) d.seenSince = m.at;
        d.state = txt(p.state) || d.state;
        d.reason = typeof p.reason === 'string' ? p.reason : undefined;
        if (p.kind) d.kind = txt(p.kind);
        if (p.kit) d.kit = txt(p.kit);
      } else if (t[4] === 'events' && t[5]) {
        d.lastEvent = { type: t[5], at: m.at, payload: p };
        if (t[5] === 'position' && isObj(p) && num(p.lat) && num(p.lon) && d.kit) addTrack(kit(v, d.kit), [p.lat, p.lon, Date.parse(m.at)]);
      } else if (t[4] === 'errors') {
        d.errors = (d.errors || 0) + 1;
        d.lastError = { reason: String((isObj(p) && (p.reason || p.error)) || 'refused'), at: m.at };
      }
    } else if (t[2] === 'kits' && t[3]) {
      const k = kit(v, t[3]);
      if (t[4] === 'verdicts') {
        // a 'recorded' message completes the verdict it names; the rest are new entries
        const done = isObj(p) && p.type === 'recorded' ? k.verdicts.find((e) => isObj(e.verdict) && e.verdict.verdictId === p.verdictId) : undefined;
        if (done && isObj(p)) {
          done.verdict = Object.assign({}, done.verdict, { recorded: p.recorded, receipt: p.receipt, reason: p.reason });
        } else {
          // a verdict takes the place of its scan's 'pending' (waiting for weight) entry
          if (isObj(p) && p.type === 'verdict') k.verdicts = k.verdicts.filter((e) => !(isObj(e.verdict) && e.verdict.type === 'pending' && e.verdict.pairId === p.pairId));
          const shown = isObj(p) && p.type === 'exception' ? Object.assign({ outcome: 'exception', code: p.taskId }, p) : isObj(p) && p.type === 'pending' ? Object.assign({ outcome: 'waiting for weight', waybill: isObj(p.scan) ? p.scan.code : '' }, p) : p;
          k.verdicts.unshift({ kit: t[3], at: m.at, verdict: shown, fresh: Date.now() });
          if (k.verdicts.length > MAX_VERDICTS) k.verdicts.length = MAX_VERDICTS;
        }
      } else if (t[4] === 'tasks' && t[5]) {
        // one task's state: kept beside the list, which it overrides
        const id = decodeURIComponent(t[5]);
        k.taskStates = k.taskStates || {};
        if (p === null || p === '' || (isObj(p) && Object.keys(p).length === 0)) delete k.taskStates[id];
        else k.taskStates[id] = p;
      } else if (t[4] === 'tasks') {
        k.tasks = p;
        k.tasksAt = m.at;
        k.taskStates = {};
      }
    } else if (m.topic === TOPIC_ROOT + 'gateway/status' && isObj(p)) {
      v.status = p;
      const before: Record<string, string | undefined> = {};
      v.alarms.forEach((a) => (before[a.kind + '|' + a.source] = a.since));
      v.alarms = (Array.isArray(p.alarms) ? p.alarms : []).filter(isObj).map((a) => ({
        kind: txt(a.kind), source: txt(a.source), message: txt(a.message), since: before[a.kind + '|' + a.source] || m.at,
      }));
    }
    v.activity.push(m);
    if (v.activity.length > MAX_ACTIVITY) v.activity.splice(0, v.activity.length - MAX_ACTIVITY);
    schedule();
  }

  const MAX_TRACK = 500;
  function addTrack(k: KitView, pt: TrackPoint): void {
    const tr = k.track || (k.track = []);
    const last = tr[tr.length - 1];
    if (last && Math.abs(last[0] - pt[0]) < 2e-5 && Math.abs(last[1] - pt[1]) < 2e-5) return;
    tr.push(pt);
    // as the gateway does: thinned to every other point when full, the newest kept
    if (tr.length > MAX_TRACK) k.track = tr.filter((_, i) => (tr.length - 1 - i) % 2 === 0);
  }

  function onLive(u: LiveUpdate): void {
    const v = S;
    if (!v) return;
    if (u.series) v.series = u.series;
    if (u.figures !== undefined) v.figures = u.figures;
    if (u.exceptions) v.exceptions = u.exceptions;
    const etas = u.etas || {};
    Object.keys(etas).forEach((id) => (kit(v, id).etas = etas[id]));
    schedule();
  }

  function onDevices(u: DevicesUpdate): void {
    const v = S;
    if (!v) return;
    (u.devices || []).forEach((d) => {
      const old = v.devices[d.id];
      if (old && old.lastEvent && d.lastEvent && Date.parse(txt(old.lastEvent.at)) > Date.parse(txt(d.lastEvent.at))) d.lastEvent = old.lastEvent;
      if (old && old.seenSince && !d.seenSince && old.state === d.state) d.seenSince = old.seenSince;
      v.devices[d.id] = d;
    });
    v.alarms = u.alarms || v.alarms;
    schedule();
  }

  /* ---------- rendering ---------- */

  function schedule(): void {
    if (dirty) return;
    dirty = true;
    requestAnimationFrame(() => {
      dirty = false;
      render();
    });
  }

  function render(): void {
    const v = S;
    if (!v) return;
    $('gw-id').textContent = v.gateway.id || '';
    $('operator').textContent = v.operator || '';
    const st: Dict = v.status || {};
    const state = $('gw-state');
    state.textContent = txt(st.state) || 'starting';
    state.className = 'pill ' + (st.state === 'running' ? 'ok' : 'warn');
    if (st.version) state.title = 'gateway ' + txt(st.gateway) + ' v' + txt(st.version) + (st.at ? ' · status ' + clock(st.at) : '');
    const rv = $('rules-version');
    if (isObj(st.rules) && st.rules.version !== undefined) {
      rv.hidden = false;
      rv.textContent = 'rules ' + txt(st.rules.version);
    } else rv.hidden = true;
    renderAlarms(v);
    renderFigures(v);
    renderCharts(v);
    renderDevices(v);
    renderPrinters(v);
    renderKits(v);
    renderExceptions(v);
    renderJournal(st.journal);
    renderComponents(st);
    renderActivity(v);
    renderDevicePage(v);
  }

  /* ---------- the day's figures (computed by the gateway with the report's code) ---------- */

  function pctText(r: RateView | undefined): string {
    return r && num(r.rate) ? Math.round(r.rate * 100) + ' %' : 'n/a';
  }
  function renderFigures(v: View): void {
    const box = clear($('figures'));
    const f = v.figures;
    $('figures-day').textContent = f && f.day ? f.day : '';
    if (!f) {
      add(box, el('p', 'empty', 'No pickup recorded today yet.'));
      return;
    }
    const tile = (name: string, value: string, sub: string, cls = '') =>
      add(el('div', 'figure ' + cls), el('div', 'figure-n', value), el('div', 'figure-name', name), el('div', 'muted', sub));
    const ex = f.exceptions;
    const byReason = Object.keys(ex.byReason || {});
    const exList = el('ul', 'figure-reasons');
    byReason.forEach((r) => add(exList, el('li', '', r.replace(/-/g, ' ') + ' ' + ex.byReason[r].count + ' (' + pctText(ex.byReason[r]) + ')')));
    if (byReason.length === 0) add(exList, el('li', 'muted', 'none'));
    const tiles = el('div', 'figure-tiles');
    add(tiles,
      tile('on-time pickups', pctText(f.onTime), f.onTime.count + ' of ' + f.onTime.of + ' stops with a window', 'f-ontime'),
      tile('first-attempt success', pctText(f.firstAttempt), f.firstAttempt.count + ' of ' + f.firstAttempt.of + ' stops', 'f-first'),
      add(tile('exceptions', String(ex.total), 'by reason, of ' + f.stops + ' stops', 'f-exceptions'), exList),
      tile('mean ETA error', num(f.eta.maeMin) ? f.eta.maeMin.toFixed(1) + ' min' : 'n/a', f.eta.samples + ' ETAs within the hour before a pickup', 'f-eta'));
    add(box, tiles, el('div', 'muted', f.pickups + ' parcels picked up at ' + f.stops + ' stops'));
  }

  /* ---------- charts (uPlot, served by the gateway) ---------- */

  interface ChartDef {
    id: string;
    title: string;
    series: { label: string; key: keyof SeriesView; color: string; scale?: string }[];
    unit: string;
    unit2?: string;
  }
  const CHARTS: ChartDef[] = [
    { id: 'chart-verdicts', title: 'Verdicts per minute', unit: '/min', series: [
      { label: 'accepted', key: 'accepted', color: '#1a9f55' }, { label: 'needs review', key: 'review', color: '#d08a00' }, { label: 'rejected', key: 'rejected', color: '#d0342c' }] },
    { id: 'chart-latency', title: 'Scan → verdict', unit: 'ms', series: [
      { label: 'p50', key: 'p50', color: '#2f6fd6' }, { label: 'p99', key: 'p99', color: '#9a4fd0' }] },
    { id: 'chart-journal', title: 'Journal backlog and sync', unit: 'records', unit2: '/min', series: [
      { label: 'backlog', key: 'backlog', color: '#d08a00' }, { label: 'synced /min', key: 'synced', color: '#1a9f55', scale: 'rate' }] },
    { id: 'chart-refused', title: 'Refused payloads per minute', unit: '/min', series: [
      { label: 'refused', key: 'refused', color: '#d0342c' }] },
  ];
  const charts: Record<string, uPlot> = {};
  let chartWidth = 0;

  function chartData(d: ChartDef, sv: SeriesView): uPlot.AlignedData {
    return [sv.t, ...d.series.map((x) => sv[x.key] as (number | null)[])];
  }
  /** non-zero values drawn: 0 means the chart shows nothing */
  function pointsOf(d: ChartDef, sv: SeriesView): number {
    let n = 0;
    d.series.forEach((x) => (sv[x.key] as (number | null)[]).forEach((y) => { if (num(y) && y !== 0) n++; }));
    return n;
  }

  function renderCharts(v: View): void {
    const sv = v.series;
    const box = $('charts');
    if (typeof uPlot === 'undefined') {
      if (!box.querySelector('.empty')) add(clear(box), el('p', 'empty', 'The chart library did not load.'));
      return;
    }
    const width = Math.max(240, Math.floor(((box.clientWidth || 600) - 12) / (box.clientWidth > 760 ? 2 : 1)) - 24);
    CHARTS.forEach((d) => {
      let holder = document.getElementById(d.id);
      if (!holder) {
        holder = add(el('figure', 'chart'), el('figcaption', '', d.title));
        holder.id = d.id;
        add(box, holder);
      }
      const data: uPlot.AlignedData = sv ? chartData(d, sv) : [[]];
      holder.setAttribute('data-points', String(sv ? pointsOf(d, sv) : 0));
      const u = charts[d.id];
      if (!u) {
        const opts: uPlot.Options = {
          width, height: 150,
          legend: { show: true },
          cursor: { show: true },
          scales: { x: { time: true }, rate: { auto: true } },
          axes: [
            { stroke: '#7a8591', grid: { stroke: 'rgba(128,128,128,.15)' }, space: 70, values: (_u: uPlot, splits: number[]) => splits.map((x) => clock(new Date(x * 1000).toISOString())) },
            { stroke: '#7a8591', grid: { stroke: 'rgba(128,128,128,.15)' }, size: 50, label: d.unit, labelSize: 14 },
            ...(d.unit2 ? [{ scale: 'rate', side: 1, stroke: '#7a8591', grid: { show: false }, size: 44, label: d.unit2, labelSize: 14 } as uPlot.Axis] : []),
          ],
          series: [{}, ...d.series.map((x): uPlot.Series => ({ label: x.label, stroke: x.color, width: 2, fill: x.color + '22', scale: x.scale, spanGaps: true, points: { size: 5 } }))],
        };
        charts[d.id] = new uPlot(opts, sv ? data : chartData(d, { bucketS: 10, t: [], accepted: [], review: [], rejected: [], p50: [], p99: [], backlog: [], synced: [], refused: [] }), holder);
      } else {
        u.setData(data);
        if (width !== chartWidth) u.setSize({ width, height: 150 });
      }
    });
    chartWidth = width;
  }

  /* ---------- exceptions ---------- */

  function renderExceptions(v: View): void {
    const ol = clear($('exceptions'));
    $('exceptions-count').textContent = v.exceptions.length ? String(v.exceptions.length) : '';
    v.exceptions.forEach((e) => {
      const li = el('li', 'exception');
      li.setAttribute('data-task', e.taskId);
      add(ol, add(li, add(el('div', 'x-head'), el('span', 'pill small bad', e.reason.replace(/-/g, ' ')), el('span', 'mono', e.taskId), el('span', 'muted v-time', clock(e.at))),
        el('div', '', (e.customer || 'customer not known') + (e.waybill ? ' · ' + e.waybill : '') + ' · kit ' + e.kit),
        e.note ? el('div', 'muted', e.note) : null));
    });
    if (!v.exceptions.length) add(ol, el('li', 'empty', 'No exception today.'));
  }

  function renderAlarms(v: View): void {
    const box = clear($('alarms'));
    box.hidden = v.alarms.length === 0;
    v.alarms.forEach((a) => {
      add(box, add(el('div', 'alarm'), el('b', 'alarm-kind', a.kind), el('span', 'alarm-source', a.source),
        el('span', 'alarm-msg', a.message), el('span', 'muted', a.since ? 'since ' + clock(a.since) : '')));
    });
  }

  function reading(e: DeviceEventView): string {
    const p: Dict = isObj(e.payload) ? e.payload : {};
    switch (e.type) {
      case 'weight': return grams(p.grams) + (p.stable ? ' · stable' : ' · in motion') + (p.status && p.status !== 'ok' ? ' · ' + txt(p.status) : '');
      case 'scan': return short(p.code, 28) + (p.symbology ? ' · ' + txt(p.symbology) : '');
      case 'position':
        return (num(p.lat) && num(p.lon) ? p.lat.toFixed(5) + ', ' + p.lon.toFixed(5) : '?') + (num(p.speedKmh) ? ' · ' + Math.round(p.speedKmh) + ' km/h' : '') + (p.fix ? ' · fix ' + txt(p.fix) : '');
      case 'locker': return 'door ' + txt(p.compartment) + ' ' + txt(p.door) + (p.occupied ? ' · occupied' : '');
      case 'exception': return txt(p.reason) + ' · task ' + txt(p.taskId);
      case 'code': return 'code entered';
      case 'image': return 'image received';
      case 'cancel': return 'cancelled' + (p.reason ? ' · ' + txt(p.reason) : '');
      case 'rating': return (num(p.score) ? 'rated ' + p.score + ' of 5' : 'complaint') + (p.complaint ? ' · ' + txt(p.complaint) : '');
      case 'confirm': return 'confirmed ' + txt(p.verdictId);
      case 'task': return txt(p.response) + ' · task ' + txt(p.taskId) + (p.reason ? ' · ' + txt(p.reason) : '');
      default: return short(e.payload || {}, 48);
    }
  }

  /** the alarms raised by a device (its id, or a part of it: `bank-1/A3`, `printer-1:paper`) */
  function alarmsOf(alarms: AlarmView[], id: string): AlarmView[] {
    return alarms.filter((a) => a.source === id || a.source.indexOf(id + ':') === 0 || a.source.indexOf(id + '/') === 0);
  }

  function stateCell(d: DeviceView, alarms: AlarmView[]): HTMLElement {
    const td = el('td', 'state');
    const cls = d.state === 'online' ? 'ok' : d.state === 'unavailable' ? 'bad' : d.state === 'connecting' ? 'warn' : 'off';
    add(td, el('span', 'pill ' + cls, d.state));
    if (d.state !== 'online' && d.reason) add(td, el('div', 'reason', d.reason));
    const since = d.seenSince || d.since;
    if (since) add(td, el('div', 'muted', (d.state === 'online' ? 'connected ' : 'since ') + ago(since)));
    alarmsOf(alarms, d.id).forEach((a) => add(td, el('div', 'reason dev-alarm', a.message)));
    return td;
  }

  function deviceLink(id: string): HTMLElement {
    const a = el('a', 'mono dev-link', id) as HTMLAnchorElement;
    a.href = '#device/' + encodeURIComponent(id);
    return a;
  }

  function renderDevices(v: View): void {
    const body = clear(document.querySelector('#devices tbody') as HTMLElement);
    const list = Object.keys(v.devices).sort().map((id) => v.devices[id]);
    const online = list.filter((d) => d.state === 'online').length;
    $('dev-count').textContent = online + ' / ' + list.length + ' online';
    if (list.length === 0) {
      const td = el('td', 'empty', 'No devices configured.') as HTMLTableCellElement;
      td.colSpan = 6;
      add(body, add(el('tr'), td));
    }
    list.forEach((d) => {
      const tr = el('tr', 'dev dev-' + d.state);
      tr.setAttribute('data-device', d.id);
      tr.setAttribute('data-state', d.state);
      add(tr,
        add(el('td', 'id'), deviceLink(d.id), el('div', 'muted', d.kind + (d.protocol ? ' · ' + d.protocol : '') + (d.transport ? ' · ' + d.transport : ''))),
        el('td', 'kit', d.kit),
        stateCell(d, v.alarms),
        d.lastEvent ? add(el('td', 'reading'), el('div', 'mono', reading(d.lastEvent)), el('div', 'muted', d.lastEvent.type + ' · ' + ago(d.lastEvent.at)))
          : el('td', 'reading muted', '—'));
      const faults = sum(d.faults);
      const f = el('td', 'num' + (faults ? ' warn-text' : ''), faults);
      const fl = d.faults || {};
      f.title = Object.keys(fl).map((k) => k + ': ' + fl[k]).join('\n');
      const r = el('td', 'num' + (d.errors ? ' bad-text' : ''), d.errors || 0);
      if (d.lastError) r.title = d.lastError.reason + ' (' + clock(d.lastError.at) + ')';
      f.setAttribute('data-label', 'faults');
      r.setAttribute('data-label', 'refused');
      add(tr, f, r);
      add(body, tr);
    });
  }

  /** the image of a printer's last print, fetched again only when a new print is told */
  function printImage(d: DeviceView, p: { id: string; kind: string; at: string }): HTMLImageElement {
    const src = '/api/printers/' + encodeURIComponent(d.id) + '/last-print.png?print=' + encodeURIComponent(p.id + '@' + p.at);
    let img = printImages[d.id];
    if (!img) {
      const made = document.createElement('img');
      made.className = 'print';
      made.addEventListener('load', () => made.removeAttribute('data-broken'));
      made.addEventListener('error', () => {
        made.setAttribute('data-broken', 'true');
        schedule();
      });
      img = printImages[d.id] = made;
    }
    if (img.getAttribute('src') !== src) {
      img.removeAttribute('data-broken');
      img.alt = 'last print of ' + d.id + ': ' + p.kind + ' ' + p.id;
      img.src = src;
    }
    return img;
  }

  function renderPrinters(v: View): void {
    const box = clear($('printers'));
    const list = Object.keys(v.devices).sort().map((id) => v.devices[id]).filter((d) => d.kind === 'printer');
    $('printers-card').hidden = list.length === 0;
    list.forEach((d) => {
      const card = el('div', 'printer');
      card.setAttribute('data-printer', d.id);
      const cls = d.state === 'online' ? 'ok' : d.state === 'unavailable' ? 'bad' : d.state === 'connecting' ? 'warn' : 'off';
      add(card, add(el('div', 'printer-head'), el('b', 'mono', d.id), el('span', 'pill small ' + cls, d.state), el('span', 'muted', d.kit)));
      const alarms = v.alarms.filter((a) => a.source === d.id || a.source.indexOf(d.id + ':') === 0);
      if (alarms.length) {
        const ul = el('ul', 'printer-alarms');
        alarms.forEach((a) => add(ul, el('li', 'printer-alarm', a.message + (a.since ? ' · since ' + clock(a.since) : ''))));
        add(card, ul);
      }
      const p = d.lastPrint;
      if (!p) add(card, el('p', 'empty', 'Nothing printed yet.'));
      else {
        const img = printImage(d, p);
        add(card, el('div', 'muted', p.kind + ' ' + p.id + ' · ' + ago(p.at)), img);
        if (img.getAttribute('data-broken')) add(card, el('p', 'bad-text', 'The last print could not be loaded.'));
      }
      add(box, card);
    });
  }

  function outcomeClass(outcome: unknown): 'ok' | 'warn' | 'bad' | 'off' {
    const o = String(outcome || '').toLowerCase();
    if (o === 'accepted' || o === 'accept' || o === 'ok' || o === 'pass') return 'ok';
    if (o.indexOf('review') >= 0 || o === 'warn') return 'warn';
    if (o === 'rejected' || o === 'reject' || o === 'fail' || o === 'error') return 'bad';
    return 'off';
  }
  function reasonText(r: unknown): string {
    if (typeof r === 'string') return r;
    if (isObj(r)) return txt(r.message || r.text || r.code || r.rule) || short(r, 60);
    return String(r);
  }
  function recordedText(rec: unknown): string {
    if (rec === true) return 'recorded';
    if (rec === false) return 'not recorded';
    if (typeof rec === 'string') return 'receipt ' + rec;
    if (isObj(rec)) return 'receipt ' + (txt(rec.receipt || rec.id) || short(rec, 30));
    return '';
  }

  function renderVerdict(entry: VerdictEntry, k: KitView): HTMLElement {
    const v: Dict = isObj(entry.verdict) ? entry.verdict : { outcome: 'unknown', note: entry.verdict };
    if (v.type === 'exception' || v.type === 'closed') return renderExceptionCard(entry, v, k);
    if (v.type === 'pending' && !v.outcome) v.outcome = 'waiting for weight';
    // a needs-review verdict the courier confirmed is recorded: it shows as confirmed
    const confirmed = txt(v.outcome) === 'needs-review' && v.recorded === true;
    const outcome = confirmed ? 'confirmed' : txt(v.outcome || v.result || v.status) || 'unknown';
    const waybill = txt((isObj(v.waybill) ? v.waybill.value : v.waybill) || v.code || (isObj(v.scan) && v.scan.code));
    const g = num(v.grams) ? v.grams : isObj(v.weight) && num(v.weight.grams) ? v.weight.grams : undefined;
    const fresh = entry.fresh && Date.now() - entry.fresh < 4000;
    const li = el('li', 'verdict v-' + (confirmed ? 'ok' : outcomeClass(outcome)) + (fresh ? ' fresh' : ''));
    li.setAttribute('data-outcome', outcome);
    const head = add(el('div', 'v-head'), el('span', 'pill ' + (confirmed ? 'ok' : outcomeClass(outcome)), outcome), el('span', 'mono waybill', waybill || '(no waybill)'),
      el('span', 'muted v-time', clock(v.at || entry.at)));
    const meta: string[] = [];
    if (v.taskId) meta.push('task ' + txt(v.taskId));
    if (g !== undefined) meta.push(grams(g));
    if (v.deviceId) meta.push(txt(v.deviceId));
    const rec = recordedText(v.receipt && v.recorded !== false ? v.receipt : v.recorded);
    add(li, head);
    if (meta.length || rec) add(li, add(el('div', 'v-meta muted', meta.join(' · ')), rec ? el('span', 'recorded' + (v.recorded === false ? ' no' : ''), rec) : null));
    const reasons: unknown[] = Array.isArray(v.reasons) ? v.reasons : v.reason ? [v.reason] : [];
    if (reasons.length) {
      const ul = el('ul', 'reasons');
      reasons.forEach((r) => add(ul, el('li', '', reasonText(r))));
      add(li, ul);
    }
    return li;
  }

  /** an exception (or a stop closed short) on the verdicts topic: task, customer and reason */
  function renderExceptionCard(entry: VerdictEntry, v: Dict, k: KitView): HTMLElement {
    const taskId = txt(v.taskId);
    const row = (taskRows(k) || []).filter((r) => r.id === taskId)[0];
    const li = el('li', 'verdict v-bad');
    li.setAttribute('data-outcome', txt(v.type));
    add(li, add(el('div', 'v-head'), el('span', 'pill bad', v.type === 'closed' ? 'closed short' : 'exception'), el('span', 'waybill', txt(v.reason).replace(/-/g, ' ') || 'exception'),
      el('span', 'muted v-time', clock(entry.at))));
    const meta = ['task ' + (taskId || '?'), row ? row.customer : '', row ? row.where : ''].filter((x) => x).join(' · ');
    add(li, add(el('div', 'v-meta muted', meta), el('span', 'recorded' + (v.recorded === true ? '' : ' no'), v.recorded === true ? 'recorded' : v.recorded === false ? 'not recorded' : '')));
    return li;
  }

  function taskList(t: unknown): unknown[] | null {
    if (Array.isArray(t)) return t;
    if (isObj(t) && Array.isArray(t.tasks)) return t.tasks;
    return null;
  }

  /** a task's address as text: the address's own text, its street, or its coordinates */
  function addressText(a: unknown): string {
    if (typeof a === 'string') return a;
    if (!isObj(a)) return '';
    const line = txt(a.text || a.street || a.line1 || a.name);
    if (line) return line;
    return num(a.lat) && num(a.lon) ? a.lat.toFixed(5) + ', ' + a.lon.toFixed(5) : '';
  }
  function latLonOf(a: unknown): [number, number] | null {
    return isObj(a) && num(a.lat) && num(a.lon) ? [a.lat, a.lon] : null;
  }
  interface TaskRow {
    id: string;
    where: string;
    customer: string;
    window: string;
    from?: string;
    to?: string;
    weight: string;
    /** open, picked-up, exception, closed, declined */
    status: string;
    detail: string;
    at: [number, number] | null;
    sequence: number;
  }
  /** the kit's tasks as rows: the list, each overridden by its single state told since */
  function taskRows(k: KitView): TaskRow[] | null {
    const list = taskList(k.tasks);
    if (!list) return null;
    const states = k.taskStates || {};
    return list.filter(isObj).map((t, i) => {
      const id = txt(t.id || t.taskId) || '?';
      const st: Dict = isObj(states[id]) ? (states[id] as Dict) : {};
      const state = txt(st.state || t.state || t.status) || 'assigned';
      const w: Dict = isObj(t.window) ? t.window : {};
      const from = txt(w.from || w.start);
      const to = txt(w.to || w.end);
      const pieces: Dict = isObj(st.pieces) ? st.pieces : {};
      let status = 'open';
      let detail = state === 'assigned' ? 'not yet accepted' : state === 'accepted' ? 'accepted' : state;
      if (state === 'picked-up' || state === 'done' || state === 'completed') {
        status = 'picked-up';
        detail = st.receipt ? 'receipt ' + txt(st.receipt) : 'picked up';
      } else if (state === 'exception') {
        status = 'exception';
        detail = txt(st.reason) || 'exception';
      } else if (state === 'closed') {
        status = 'closed';
        detail = 'closed' + (st.reason ? ': ' + txt(st.reason) : '') + (num(pieces.done) ? ' · ' + pieces.done + ' picked up' : '');
      } else if (state === 'declined') {
        status = 'declined';
        detail = 'declined' + (st.reason ? ': ' + txt(st.reason) : '');
      } else if (state === 'in-progress') detail = (num(pieces.done) ? pieces.done : '?') + ' of ' + (num(pieces.of) ? pieces.of : txt(t.expectedPieces) || '?') + ' parcels';
      const weight = num(t.declaredWeightGrams) ? grams(t.declaredWeightGrams) : num(t.expectedPieces) ? t.expectedPieces + ' parcels' : '';
      return {
        id, where: addressText(t.address) || txt(t.customer) || '(no address)', customer: txt(t.customer),
        window: from && to ? clock(from).slice(0, 5) + '–' + clock(to).slice(0, 5) : '', from, to, weight, status, detail,
        at: latLonOf(t.address), sequence: num(t.sequence) ? t.sequence : i + 1,
      };
    });
  }

  function renderTasks(k: KitView): HTMLElement {
    const box = el('div', 'tasks');
    if (k.tasks === null || k.tasks === undefined) return add(box, el('p', 'empty', 'No tasks received yet.'));
    const rows = taskRows(k);
    if (!rows) return add(box, el('p', 'empty', 'The task list could not be read.'));
    if (rows.length === 0) return add(box, el('p', 'empty', 'No open tasks.'));
    const ol = el('ol', 'task-list');
    rows.forEach((r) => {
      const li = el('li', 'task t-' + r.status);
      li.setAttribute('data-task', r.id);
      li.setAttribute('data-status', r.status);
      const cls = r.status === 'picked-up' ? 'ok' : r.status === 'exception' ? 'bad' : r.status === 'open' ? 'off' : 'warn';
      add(ol, add(li,
        add(el('div', 'task-main'), el('span', 'mono task-id', r.id), el('span', 'task-where', r.where)),
        el('span', 'pill small ' + cls, r.status === 'picked-up' ? 'picked up' : r.status),
        el('div', 'muted task-sub', [r.customer, r.window ? 'window ' + r.window : '', r.weight ? 'declared ' + r.weight : '', r.detail].filter((x) => x).join(' · '))));
    });
    return add(box, ol);
  }

  /* ---------- the route, to scale ---------- */

  const SVGNS = 'http://www.w3.org/2000/svg';
  function svg(tag: string, attrs: Record<string, string | number>, text?: string): SVGElement {
    const e = document.createElementNS(SVGNS, tag);
    Object.keys(attrs).forEach((a) => e.setAttribute(a, String(attrs[a])));
    if (text !== undefined) e.textContent = text;
    return e;
  }

  /** recent positions and the stops (each with its geofence) on a local metric plane: north up, one scale for both axes */
  function renderRoute(k: KitView, rows: TaskRow[], geofenceM: number): HTMLElement {
    const box = el('div', 'route');
    const track = k.track || [];
    const stops = rows.filter((r) => r.at);
    if (track.length === 0 && stops.length === 0) return add(box, el('p', 'empty', 'No positions or stop addresses yet.'));
    const pts: [number, number][] = track.map((p) => [p[0], p[1]] as [number, number]).concat(stops.map((r) => r.at as [number, number]));
    let lat0 = 0;
    let lon0 = 0;
    pts.forEach((p) => { lat0 += p[0]; lon0 += p[1]; });
    lat0 /= pts.length;
    lon0 /= pts.length;
    const kx = 111320 * Math.cos((lat0 * Math.PI) / 180);
    const ky = 110540;
    const xy = (lat: number, lon: number): [number, number] => [(lon - lon0) * kx, -(lat - lat0) * ky];
    let minX = Infinity, minY = Infinity, maxX = -Infinity, maxY = -Infinity;
    pts.forEach((p) => {
      const q = xy(p[0], p[1]);
      minX = Math.min(minX, q[0] - geofenceM); maxX = Math.max(maxX, q[0] + geofenceM);
      minY = Math.min(minY, q[1] - geofenceM); maxY = Math.max(maxY, q[1] + geofenceM);
    });
    const w = Math.max(maxX - minX, 200);
    const h = Math.max(maxY - minY, 200);
    const pad = Math.max(w, h) * 0.06;
    const vb = [minX - pad, minY - pad, w + 2 * pad, h + 2 * pad];
    const unit = vb[2] / 600;
    const plot = svg('svg', { viewBox: vb.map((x) => x.toFixed(1)).join(' '), class: 'route-plot', role: 'img', 'aria-label': 'route of kit ' + k.id + ' to scale' });
    plot.setAttribute('preserveAspectRatio', 'xMidYMid meet');
    stops.forEach((r) => {
      const q = xy(r.at![0], r.at![1]);
      const g = svg('g', { class: 'stop s-' + r.status, 'data-task': r.id });
      add(g, svg('circle', { class: 'geofence', cx: q[0].toFixed(1), cy: q[1].toFixed(1), r: geofenceM }),
        svg('circle', { class: 'stop-dot', cx: q[0].toFixed(1), cy: q[1].toFixed(1), r: (4 * unit).toFixed(1) }),
        svg('text', { x: (q[0] + 6 * unit).toFixed(1), y: (q[1] - 6 * unit).toFixed(1), 'font-size': (11 * unit).toFixed(1) }, String(r.sequence)));
      add(g, svg('title', {}, r.id + ' · ' + r.where + ' · ' + r.status));
      add(plot, g);
    });
    if (track.length > 0) {
      const line = track.map((p) => xy(p[0], p[1]).map((x) => x.toFixed(1)).join(',')).join(' ');
      add(plot, svg('polyline', { class: 'track', points: line, 'stroke-width': (2.2 * unit).toFixed(2), 'data-points': track.length }));
      const last = xy(track[track.length - 1][0], track[track.length - 1][1]);
      add(plot, svg('circle', { class: 'van', cx: last[0].toFixed(1), cy: last[1].toFixed(1), r: (6 * unit).toFixed(1), 'stroke-width': (2 * unit).toFixed(2) }));
    }
    // a scale bar: the round length nearest a fifth of the width
    const target = vb[2] / 5;
    const mag = Math.pow(10, Math.floor(Math.log10(target)));
    const len = [1, 2, 5, 10].map((m) => m * mag).filter((m) => m <= target).pop() || mag;
    const bx = vb[0] + 12 * unit;
    const by = vb[1] + vb[3] - 14 * unit;
    add(plot, svg('line', { class: 'scale', x1: bx, y1: by, x2: bx + len, y2: by, 'stroke-width': (3 * unit).toFixed(2) }),
      svg('text', { class: 'scale-text', x: bx, y: by - 6 * unit, 'font-size': (11 * unit).toFixed(1) }, len >= 1000 ? len / 1000 + ' km' : len + ' m'));
    add(box, plot, el('div', 'muted route-legend', track.length + ' positions · ' + stops.length + ' stops · geofence ' + geofenceM + ' m'));
    return box;
  }

  /** the newest ETA of each stop still open, against its window */
  function renderEtas(k: KitView, rows: TaskRow[]): HTMLElement {
    const ol = el('ol', 'etas');
    const byId: Record<string, EtaView> = {};
    (k.etas || []).forEach((e) => (byId[e.taskId] = e));
    const open = rows.filter((r) => r.status === 'open' || r.status === 'exception');
    open.forEach((r) => {
      const e = byId[r.id];
      const li = el('li', 'eta');
      li.setAttribute('data-task', r.id);
      let cls = 'off';
      let verdict = 'no ETA yet';
      if (r.status === 'exception') {
        // the last try failed: its ETA is of that try
        cls = 'bad';
        verdict = r.detail;
      } else if (e) {
        const t = Date.parse(e.eta);
        if (r.to && t > Date.parse(r.to)) { cls = 'bad'; verdict = 'late ' + Math.round((t - Date.parse(r.to)) / 60000) + ' min'; }
        else if (r.from && t < Date.parse(r.from)) { cls = 'warn'; verdict = 'early'; }
        else { cls = 'ok'; verdict = 'in window'; }
      }
      add(ol, add(li, el('span', 'mono task-id', r.id), el('span', 'eta-time mono', e ? clock(e.eta).slice(0, 5) : '–'),
        el('span', 'muted', r.window ? 'window ' + r.window : ''), el('span', 'pill small ' + cls, verdict)));
    });
    if (open.length === 0) add(ol, el('li', 'empty', 'No stop left.'));
    return ol;
  }

  function renderKits(v: View): void {
    const box = clear($('kits'));
    Object.keys(v.kits).sort().forEach((id) => {
      const k = v.kits[id];
      const card = el('section', 'card kit');
      card.setAttribute('data-kit', id);
      const counts = { ok: 0, warn: 0, bad: 0, off: 0 };
      k.verdicts.forEach((e) => counts[outcomeClass(isObj(e.verdict) ? e.verdict.outcome || e.verdict.result : '')]++);
      const n = taskList(k.tasks);
      add(card, add(el('h2'), el('span', '', 'Kit ' + id), k.courierId ? el('span', 'muted', ' · courier ' + k.courierId) : null,
        add(el('span', 'count'), el('span', 'ok-text', counts.ok + ' ✓'), el('span', 'warn-text', counts.warn + ' ?'), el('span', 'bad-text', counts.bad + ' ✗'))));
      const grid = el('div', 'kit-grid');
      const tasksCol = add(el('div', 'kit-col'), el('h3', '', 'Tasks' + (n ? ' (' + n.length + ')' : '')), renderTasks(k));
      const rows = taskRows(k) || [];
      const routeRow = add(el('div', 'kit-grid route-row'),
        add(el('div', 'kit-col'), el('h3', '', 'Route (to scale)'), renderRoute(k, rows, v.geofenceM)),
        add(el('div', 'kit-col'), el('h3', '', 'ETA per remaining stop'), renderEtas(k, rows)));
      const feed = el('ol', 'verdicts');
      feed.setAttribute('aria-live', 'polite');
      k.verdicts.slice(0, SHOWN_VERDICTS).forEach((e) => add(feed, renderVerdict(e, k)));
      if (k.verdicts.length === 0) add(feed, el('li', 'empty', 'No verdicts yet.'));
      add(grid, tasksCol, add(el('div', 'kit-col'), el('h3', '', 'Verdicts'), feed));
      add(box, add(card, routeRow, grid));
    });
  }

  function linkState(l: unknown): { state: string; error?: unknown; at?: unknown } | null {
    if (typeof l === 'string') return { state: l };
    if (isObj(l)) return { state: txt(l.state) || 'unknown', error: l.lastError, at: l.lastSuccessAt };
    return null;
  }

  function renderJournal(j: unknown): void {
    const box = clear($('journal'));
    if (!isObj(j)) {
      add(box, el('p', 'empty', 'No journal on this gateway.'));
      return;
    }
    const depth: Dict = isObj(j.depth) ? j.depth : {};
    const lanes = el('div', 'lanes');
    ['live', 'records', 'bulk'].forEach((lane) => {
      add(lanes, add(el('div', 'lane'), el('div', 'lane-n', num(depth[lane]) ? depth[lane] : '–'), el('div', 'muted', lane)));
    });
    const dl = el('dl', 'kv');
    add(dl, el('dt', '', 'oldest unsent'), el('dd', num(j.oldestUnsentMs) && j.oldestUnsentMs > 15 * 60000 ? 'warn-text' : '', duration(j.oldestUnsentMs)));
    const l = linkState(j.link);
    if (l) {
      const cls = l.state === 'up' ? 'ok' : l.state === 'idle' ? 'off' : 'bad';
      add(dl, el('dt', '', 'link'), add(el('dd'), el('span', 'pill ' + cls, l.state)));
      if (l.error) add(dl, el('dt', '', 'last error'), el('dd', 'bad-text', short(l.error, 80)));
      if (l.at) add(dl, el('dt', '', 'last sync'), el('dd', '', ago(l.at)));
    }
    Object.keys(j).forEach((key) => {
      if (key === 'depth' || key === 'oldestUnsentMs' || key === 'link') return;
      if (!isObj(j[key])) add(dl, el('dt', '', key), el('dd', '', short(j[key], 40)));
    });
    add(box, lanes, dl);
  }

  function flat(o: Dict, prefix: string, out: [string, string][]): [string, string][] {
    Object.keys(o).forEach((k) => {
      const v = o[k];
      const key = prefix ? prefix + '.' + k : k;
      if (isObj(v) && !prefix) flat(v, key, out);
      else out.push([key, isObj(v) || Array.isArray(v) ? short(v, 60) : String(v)]);
    });
    return out;
  }

  function renderComponents(st: Dict): void {
    const box = clear($('components'));
    const head = el('dl', 'kv');
    add(head, el('dt', '', 'state'), el('dd', '', txt(st.state) || '—'));
    if (st.version) add(head, el('dt', '', 'version'), el('dd', 'mono', st.version));
    if (st.at) add(head, el('dt', '', 'status at'), el('dd', '', clock(st.at)));
    add(box, head);
    Object.keys(st).sort().forEach((name) => {
      const part = st[name];
      if (name === 'alarms' || name === 'journal' || !isObj(part)) return;
      // each component folded, its name and first figure in view: the panel stays short
      const c = add(el('details', 'component'), add(el('summary'), el('b', '', name)));
      const dl = el('dl', 'kv');
      const rows = flat(part, '', []);
      if (rows.length === 0) add(dl, el('dt', 'muted', 'running'), el('dd', ''));
      rows.forEach((r) => add(dl, el('dt', '', r[0]), el('dd', 'mono', r[1])));
      add(box, add(c, dl));
    });
  }

  function topicLabel(t: string): string {
    return t.indexOf(TOPIC_ROOT) === 0 ? t.slice(TOPIC_ROOT.length) : t;
  }
  function activityText(m: BusMessage): string {
    const t = m.topic.split('/');
    const p = m.payload;
    if (t[2] === 'devices' && t[4] === 'events') return reading({ type: t[5], payload: p });
    if (t[2] === 'devices' && t[4] === 'status' && isObj(p)) return txt(p.state) + (p.reason ? ' · ' + txt(p.reason) : '');
    if (t[2] === 'kits' && t[4] === 'verdicts' && isObj(p)) return (p.type === 'recorded' ? (p.recorded ? 'recorded ' + txt(p.receipt) : 'not recorded') : txt(p.outcome || p.type) || '?') + ' · ' + txt((isObj(p.waybill) ? p.waybill.value : p.waybill) || p.taskId);
    if (t[2] === 'devices' && t[4] === 'errors' && isObj(p)) return (txt(p.error) || 'refused') + (p.reason ? ' · ' + txt(p.reason) : '');
    if (t[2] === 'kits' && t[4] === 'tasks') {
      const tl = taskList(p);
      return tl ? tl.length + ' tasks' : short(p, 60);
    }
    if (t[2] === 'gateway') return isObj(p) ? txt(p.state) + (Array.isArray(p.alarms) && p.alarms.length ? ' · ' + p.alarms.length + ' alarm(s)' : '') : '';
    return short(p, 60);
  }
  /** what a topic is about: events, status, errors, commands, verdicts, tasks, gateway */
  function topicKind(topic: string): string {
    const t = topic.split('/');
    if (t[2] === 'devices') return t[4] || 'device';
    if (t[2] === 'kits') return t[4] || 'kit';
    return t[2] || 'other';
  }
  function topicDevice(topic: string): string {
    const t = topic.split('/');
    return t[2] === 'devices' ? t[3] || '' : t[2] === 'kits' ? 'kit:' + (t[3] || '') : '';
  }
  function fillSelect(sel: HTMLSelectElement, values: string[], all: string): void {
    const want = [''].concat(values);
    const have: string[] = [];
    for (let i = 0; i < sel.options.length; i++) have.push(sel.options[i].value);
    if (have.join('|') === want.join('|')) return;
    const cur = sel.value;
    clear(sel);
    want.forEach((x) => {
      const o = document.createElement('option');
      o.value = x;
      o.textContent = x || all;
      sel.appendChild(o);
    });
    sel.value = want.indexOf(cur) >= 0 ? cur : '';
  }
  function renderActivity(v: View): void {
    const ol = clear($('activity'));
    const devices = Object.keys(v.devices).sort().concat(Object.keys(v.kits).sort().map((k) => 'kit:' + k));
    fillSelect($<HTMLSelectElement>('bus-device'), devices, 'every device');
    fillSelect($<HTMLSelectElement>('bus-kind'), ['events', 'status', 'errors', 'commands', 'verdicts', 'tasks', 'gateway'], 'every kind');
    const list = (busView.paused || v.activity).filter((m) => (!busView.device || topicDevice(m.topic) === busView.device) && (!busView.kind || topicKind(m.topic) === busView.kind));
    $('bus-pause').textContent = busView.paused ? 'Resume' : 'Pause';
    $('bus-pause').setAttribute('aria-pressed', busView.paused ? 'true' : 'false');
    list.slice().reverse().slice(0, 30).forEach((m) => {
      add(ol, add(el('li'), el('span', 'muted a-time', clock(m.at)), el('span', 'mono a-topic', topicLabel(m.topic)), el('span', 'a-text', short(activityText(m), 60))));
    });
    if (!list.length) add(ol, el('li', 'empty', v.activity.length ? 'Nothing matches the filter.' : 'Nothing on the bus yet.'));
  }

  /* ---------- one device's page (#device/{id}) ---------- */

  function renderDevicePage(v: View): void {
    const page = $('device-page');
    const d = shownDevice ? v.devices[shownDevice] : undefined;
    page.hidden = !d;
    if (!d) return;
    $('device-page-title').textContent = d.id;
    const box = clear($('device-page-body'));
    const dl = el('dl', 'kv');
    const since = d.seenSince || d.since;
    add(dl, el('dt', '', 'kind'), el('dd', '', d.kind + (d.protocol ? ' · ' + d.protocol : '') + (d.transport ? ' · ' + d.transport : '')),
      el('dt', '', 'kit'), el('dd', '', d.kit), el('dt', '', 'state'), el('dd', '', d.state + (since ? ' · ' + ago(since) : '') + (d.reason ? ' · ' + d.reason : '')),
      el('dt', '', 'last reading'), el('dd', 'mono', d.lastEvent ? reading(d.lastEvent) + ' · ' + ago(d.lastEvent.at) : '—'),
      el('dt', '', 'refused'), el('dd', '', String(d.errors || 0) + (d.lastError ? ' · ' + d.lastError.reason : '')));
    const fl = d.faults || {};
    Object.keys(fl).forEach((k) => add(dl, el('dt', '', 'fault ' + k), el('dd', 'warn-text', String(fl[k]))));
    alarmsOf(v.alarms, d.id).forEach((a) =>
      add(dl, el('dt', 'bad-text', a.kind), el('dd', 'bad-text', a.message)));
    add(box, dl);
    const info = deviceInfo && deviceInfo.id === d.id ? deviceInfo : null;
    if (info && info.frames) {
      add(box, el('h3', '', 'Raw frames (' + info.framesTotal + ' since start, the last ' + info.frames.length + ')'));
      const fl2 = el('ol', 'frames raw-frames');
      info.frames.slice().reverse().forEach((f) =>
        add(fl2, add(el('li', 'frame f-' + f.dir), el('span', 'muted', clock(new Date(f.at).toISOString()) + ' · ' + (f.dir === 'in' ? 'from the device' : 'to the device') + ' · ' + f.bytes + ' bytes'),
          el('pre', 'raw', f.text), el('pre', 'raw muted', f.hex.replace(/(..)/g, '$1 ').trim()))));
      if (!info.frames.length) add(fl2, el('li', 'empty', 'No frame yet.'));
      add(box, fl2);
    } else if (info && info.framesWithheld) add(box, el('p', 'muted', 'Raw frames are not shown: ' + info.framesWithheld + '.'));
    add(box, el('h3', '', 'Recent messages on the bus'));
    const ol = el('ol', 'frames');
    (info ? info.messages : []).slice().reverse().forEach((m) =>
      add(ol, add(el('li'), el('span', 'muted', clock(m.at) + ' · ' + topicLabel(m.topic)), el('pre', 'raw', JSON.stringify(m.payload)))));
    if (!ol.firstChild) add(ol, el('li', 'empty', info ? 'Nothing from this device yet.' : 'Loading…'));
    add(box, ol);
  }
  interface DeviceInfo {
    id: string;
    messages: BusMessage[];
    frames: { dir: 'in' | 'out'; at: number; hex: string; text: string; bytes: number }[] | null;
    framesTotal: number;
    framesWithheld?: string;
  }
  let deviceInfo: DeviceInfo | null = null;
  let deviceTimer: number | undefined;
  /** the shown device's frames and messages, fetched while its page is open */
  function loadDevice(): void {
    const id = shownDevice;
    if (!id) return;
    fetch('api/devices/' + encodeURIComponent(id), { credentials: 'same-origin' })
      .then((r) => (r.ok ? (r.json() as Promise<DeviceInfo>) : null))
      .then((info) => {
        if (info && info.id === shownDevice) {
          deviceInfo = info;
          schedule();
        }
      }, () => undefined);
  }
  function route(): void {
    const m = /^#device\/(.+)$/.exec(location.hash);
    shownDevice = m ? decodeURIComponent(m[1]) : '';
    if (deviceTimer !== undefined) clearInterval(deviceTimer);
    deviceTimer = undefined;
    deviceInfo = null;
    if (shownDevice) {
      loadDevice();
      deviceTimer = window.setInterval(loadDevice, 2000);
      window.scrollTo(0, 0);
    }
    schedule();
  }

  /* ---------- connection ---------- */

  function setLink(state: string, text: string): void {
    $('link').className = 'pill link-' + state;
    $('link-text').textContent = text;
  }

  function parse<T>(e: Event): T {
    return JSON.parse((e as MessageEvent<string>).data) as T;
  }

  function openStream(): void {
    if (source) source.close();
    setLink('wait', 'connecting');
    const s = new EventSource('api/stream');
    source = s;
    s.addEventListener('open', () => setLink('up', 'live'));
    s.addEventListener('snapshot', (e) => {
      fromSnapshot(parse<Snapshot>(e));
      setLink('up', 'live');
    });
    s.addEventListener('bus', (e) => onBus(parse<BusMessage>(e)));
    s.addEventListener('devices', (e) => onDevices(parse<DevicesUpdate>(e)));
    s.addEventListener('live', (e) => onLive(parse<LiveUpdate>(e)));
    s.addEventListener('dropped', () => {
      fetch('api/snapshot', { credentials: 'same-origin' })
        .then((r) => (r.ok ? (r.json() as Promise<Snapshot>) : null))
        .then((snap) => {
          if (snap) fromSnapshot(snap);
        });
    });
    s.addEventListener('expired', () => {
      s.close();
      source = null;
      showLogin('Your session ended. Please log in again.');
    });
    s.addEventListener('error', () => {
      if (source && source.readyState === EventSource.CLOSED) {
        setLink('down', 'disconnected');
        checkSession();
      } else setLink('wait', 'reconnecting');
    });
  }

  function showLogin(message?: string): void {
    if (source) {
      source.close();
      source = null;
    }
    S = null;
    $('app-view').hidden = true;
    $('who').hidden = true;
    $('login-view').hidden = false;
    setLink('down', 'signed out');
    const err = $('login-error');
    err.hidden = !message;
    err.textContent = message || '';
    $('username').focus();
  }

  function showApp(username: string): void {
    $('login-view').hidden = true;
    $('app-view').hidden = false;
    $('who').hidden = false;
    $('operator').textContent = username;
    openStream();
  }

  function checkSession(): void {
    fetch('api/session', { credentials: 'same-origin' }).then(
      (r): Promise<void> | void => {
        if (r.status === 401) return showLogin();
        if (!r.ok) {
          setLink('down', 'gateway error');
          setTimeout(checkSession, 5000);
          return;
        }
        return (r.json() as Promise<{ username: string }>).then((s) => showApp(s.username));
      },
      () => {
        setLink('down', 'gateway unreachable');
        setTimeout(checkSession, 5000);
      },
    );
  }

  function login(ev: Event): void {
    ev.preventDefault();
    const button = $<HTMLButtonElement>('login-button');
    button.disabled = true;
    const username = $<HTMLInputElement>('username');
    const password = $<HTMLInputElement>('password');
    fetch('api/login', {
      method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: username.value, password: password.value }),
    }).then(
      (r): Promise<void> => {
        password.value = '';
        if (r.ok) return (r.json() as Promise<{ username: string }>).then((b) => showApp(b.username));
        return (r.json() as Promise<{ retryAfterS?: number }>).catch(() => ({}) as { retryAfterS?: number }).then((b) => {
          showLogin(r.status === 429 ? 'Too many failed attempts. Try again in ' + (b.retryAfterS || 'a few') + ' s.'
            : r.status === 401 ? 'Wrong user name or password.' : 'Login failed (' + r.status + ').');
        });
      },
      () => showLogin('The gateway did not answer.'),
    ).then(() => {
      button.disabled = false;
    });
  }

  function logout(): void {
    fetch('api/logout', { method: 'POST', credentials: 'same-origin' }).then(() => showLogin(), () => showLogin());
  }

  document.addEventListener('DOMContentLoaded', () => {
    $('login-form').addEventListener('submit', login);
    $('logout').addEventListener('click', logout);
    $('bus-device').addEventListener('change', (e) => { busView.device = (e.target as HTMLSelectElement).value; schedule(); });
    $('bus-kind').addEventListener('change', (e) => { busView.kind = (e.target as HTMLSelectElement).value; schedule(); });
    $('bus-pause').addEventListener('click', () => { busView.paused = busView.paused ? null : S ? S.activity.slice() : null; schedule(); });
    $('device-close').addEventListener('click', () => { location.hash = ''; });
    window.addEventListener('hashchange', route);
    window.addEventListener('resize', () => schedule());
    route();
    const q = new URLSearchParams(location.search).get('login');
    if (q) history.replaceState(null, '', location.pathname);
    if (q === 'failed') showLogin('Wrong user name or password.');
    else if (q === 'blocked') showLogin('Too many failed attempts. Try again later.');
    else checkSession();
    setInterval(() => {
      if (S) schedule();
    }, 5000);
  });
})();
