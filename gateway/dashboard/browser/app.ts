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
  }
  interface VerdictEntry {
    kit: string;
    at: string;
    verdict: unknown;
    fresh?: number;
  }
  interface KitView {
    id: string;
    courierId?: string;
    tasks: unknown;
    tasksAt?: string;
    verdicts: VerdictEntry[];
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
  }

  let S: View | null = null;
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
        if (p.state !== d.state) d.since = txt(p.since || p.at || m.at);
        d.state = txt(p.state) || d.state;
        d.reason = typeof p.reason === 'string' ? p.reason : undefined;
        if (p.kind) d.kind = txt(p.kind);
        if (p.kit) d.kit = txt(p.kit);
      } else if (t[4] === 'events' && t[5]) {
        d.lastEvent = { type: t[5], at: m.at, payload: p };
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
      } else if (t[4] === 'tasks') {
        k.tasks = p;
        k.tasksAt = m.at;
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

  function onDevices(u: DevicesUpdate): void {
    const v = S;
    if (!v) return;
    (u.devices || []).forEach((d) => {
      const old = v.devices[d.id];
      if (old && old.lastEvent && d.lastEvent && Date.parse(txt(old.lastEvent.at)) > Date.parse(txt(d.lastEvent.at))) d.lastEvent = old.lastEvent;
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
    renderDevices(v);
    renderPrinters(v);
    renderKits(v);
    renderJournal(st.journal);
    renderComponents(st);
    renderActivity(v);
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

  function stateCell(d: DeviceView): HTMLElement {
    const td = el('td', 'state');
    const cls = d.state === 'online' ? 'ok' : d.state === 'unavailable' ? 'bad' : d.state === 'connecting' ? 'warn' : 'off';
    add(td, el('span', 'pill ' + cls, d.state));
    if (d.state !== 'online' && d.reason) add(td, el('div', 'reason', d.reason));
    if (d.since) add(td, el('div', 'muted', ago(d.since)));
    return td;
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
        add(el('td', 'id'), el('div', 'mono', d.id), el('div', 'muted', d.kind + (d.protocol ? ' · ' + d.protocol : '') + (d.transport ? ' · ' + d.transport : ''))),
        el('td', 'kit', d.kit),
        stateCell(d),
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

  function renderVerdict(entry: VerdictEntry): HTMLElement {
    const v: Dict = isObj(entry.verdict) ? entry.verdict : { outcome: 'unknown', note: entry.verdict };
    const outcome = txt(v.outcome || v.result || v.status) || 'unknown';
    const waybill = txt((isObj(v.waybill) ? v.waybill.value : v.waybill) || v.code || (isObj(v.scan) && v.scan.code));
    const g = num(v.grams) ? v.grams : isObj(v.weight) && num(v.weight.grams) ? v.weight.grams : undefined;
    const fresh = entry.fresh && Date.now() - entry.fresh < 4000;
    const li = el('li', 'verdict v-' + outcomeClass(outcome) + (fresh ? ' fresh' : ''));
    li.setAttribute('data-outcome', outcome);
    const head = add(el('div', 'v-head'), el('span', 'pill ' + outcomeClass(outcome), outcome), el('span', 'mono waybill', waybill || '(no waybill)'),
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

  function taskList(t: unknown): unknown[] | null {
    if (Array.isArray(t)) return t;
    if (isObj(t) && Array.isArray(t.tasks)) return t.tasks;
    return null;
  }

  function renderTasks(k: KitView): HTMLElement {
    const box = el('div', 'tasks');
    const list = taskList(k.tasks);
    if (k.tasks === null || k.tasks === undefined) return add(box, el('p', 'empty', 'No tasks received yet.'));
    if (!list) return add(box, el('pre', 'raw', short(k.tasks, 400)));
    if (list.length === 0) return add(box, el('p', 'empty', 'No open tasks.'));
    const ol = el('ol', 'task-list');
    list.forEach((t) => {
      if (!isObj(t)) {
        add(ol, el('li', 'task', short(t, 80)));
        return;
      }
      const status = txt(t.status || t.state);
      const wb = t.waybill || (Array.isArray(t.parcels) ? t.parcels.map((p: unknown) => (isObj(p) ? p.waybill : p)).join(', ') : '');
      let where: unknown = t.address || t.customer || t.name || '';
      if (isObj(where)) where = where.street || where.line1 || short(where, 40);
      const win = isObj(t.window) ? clock(t.window.from || t.window.start) + '–' + clock(t.window.to || t.window.end) : t.due ? clock(t.due) : '';
      const sub = [wb, win].filter((x) => x).join(' · ');
      add(ol, add(el('li', 'task' + (status ? ' t-' + status.toLowerCase() : '')),
        add(el('div', 'task-main'), el('span', 'mono task-id', t.id || t.taskId || '?'), el('span', 'task-where', where)),
        status ? el('span', 'pill small ' + (/done|completed/.test(status) ? 'ok' : /exception|failed|absent/.test(status) ? 'bad' : 'off'), status) : el('span'),
        sub ? el('div', 'mono muted task-sub', sub) : null));
    });
    return add(box, ol);
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
      const feed = el('ol', 'verdicts');
      feed.setAttribute('aria-live', 'polite');
      k.verdicts.slice(0, SHOWN_VERDICTS).forEach((e) => add(feed, renderVerdict(e)));
      if (k.verdicts.length === 0) add(feed, el('li', 'empty', 'No verdicts yet.'));
      add(grid, tasksCol, add(el('div', 'kit-col'), el('h3', '', 'Verdicts'), feed));
      add(box, add(card, grid));
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
      const c = add(el('div', 'component'), el('h3', '', name));
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
  function renderActivity(v: View): void {
    const ol = clear($('activity'));
    v.activity.slice().reverse().slice(0, 30).forEach((m) => {
      add(ol, add(el('li'), el('span', 'muted a-time', clock(m.at)), el('span', 'mono a-topic', topicLabel(m.topic)), el('span', 'a-text', short(activityText(m), 60))));
    });
    if (!v.activity.length) add(ol, el('li', 'empty', 'Nothing on the bus yet.'));
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
