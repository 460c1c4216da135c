/**
 * The dashboard's browser script (plain ES2017, no build step): login, the snapshot,
 * then every bus message from the event stream folded into the view. Everything is
 * written with textContent: no payload is ever parsed as HTML.
 */
export const PAGE_JS = String.raw`'use strict';
(function () {
  var MAX_VERDICTS = 50, MAX_ACTIVITY = 60, SHOWN_VERDICTS = 12;
  var S = null;
  var source = null;
  var dirty = false;

  function $(id) { return document.getElementById(id); }
  function el(tag, cls, text) {
    var e = document.createElement(tag);
    if (cls) e.className = cls;
    if (text !== undefined && text !== null) e.textContent = String(text);
    return e;
  }
  function add(parent) {
    for (var i = 1; i < arguments.length; i++) if (arguments[i]) parent.appendChild(arguments[i]);
    return parent;
  }
  function clear(e) { while (e.firstChild) e.removeChild(e.firstChild); return e; }
  function isObj(v) { return v !== null && typeof v === 'object' && !Array.isArray(v); }
  function num(v) { return typeof v === 'number' && isFinite(v); }

  function ago(iso) {
    if (!iso) return '';
    var s = Math.round((Date.now() - Date.parse(iso)) / 1000);
    if (!isFinite(s)) return '';
    if (s < 5) return 'just now';
    if (s < 60) return s + ' s ago';
    if (s < 3600) return Math.floor(s / 60) + ' min ago';
    if (s < 86400) return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min ago';
    return Math.floor(s / 86400) + ' d ago';
  }
  function clock(iso) {
    var d = new Date(iso);
    if (isNaN(d.getTime())) return '';
    return d.toLocaleTimeString([], { hour: '2-digit', minute: '2-digit', second: '2-digit', hour12: false });
  }
  function duration(ms) {
    if (!num(ms) || ms <= 0) return 'none';
    var s = Math.round(ms / 1000);
    if (s < 60) return s + ' s';
    if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
    return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
  }
  function grams(g) {
    if (!num(g)) return '? g';
    return Math.abs(g) >= 1000 ? (g / 1000).toFixed(3) + ' kg' : (Math.round(g * 10) / 10) + ' g';
  }
  function short(v, n) {
    var s = typeof v === 'string' ? v : JSON.stringify(v);
    if (s === undefined) return '';
    return s.length > n ? s.slice(0, n - 1) + '…' : s;
  }
  function sum(o) {
    var t = 0;
    if (isObj(o)) for (var k in o) if (num(o[k])) t += o[k];
    return t;
  }

  /* ---------- state ---------- */

  function fromSnapshot(snap) {
    var devices = {};
    (snap.devices || []).forEach(function (d) { devices[d.id] = d; });
    var kits = {};
    (snap.kits || []).forEach(function (k) { kits[k.id] = k; });
    S = {
      gateway: snap.gateway || {}, operator: snap.operator, devices: devices, kits: kits,
      status: snap.status, alarms: snap.alarms || [], activity: (snap.activity || []).slice(-MAX_ACTIVITY)
    };
    render();
  }

  function device(id) {
    if (!S.devices[id]) S.devices[id] = { id: id, kind: '', kit: '', state: 'offline', faults: {}, errors: 0 };
    return S.devices[id];
  }
  function kit(id) {
    if (!S.kits[id]) S.kits[id] = { id: id, tasks: null, verdicts: [] };
    return S.kits[id];
  }

  function onBus(m) {
    if (!S) return;
    var t = m.topic.split('/'), p = m.payload;
    if (t[2] === 'devices' && t[3]) {
      var d = device(t[3]);
      if (t[4] === 'status' && isObj(p)) {
        if (p.state !== d.state) d.since = p.since || p.at || m.at;
        d.state = p.state || d.state;
        d.reason = typeof p.reason === 'string' ? p.reason : undefined;
        if (p.kind) d.kind = p.kind;
        if (p.kit) d.kit = p.kit;
      } else if (t[4] === 'events' && t[5]) {
        d.lastEvent = { type: t[5], at: m.at, payload: p };
      } else if (t[4] === 'errors') {
        d.errors = (d.errors || 0) + 1;
        d.lastError = { reason: String((p && (p.reason || p.error)) || 'refused'), at: m.at };
      }
    } else if (t[2] === 'kits' && t[3]) {
      var k = kit(t[3]);
      if (t[4] === 'verdicts') {
        // a 'recorded' message completes the verdict it names; the rest are new entries
        var done = isObj(p) && p.type === 'recorded' && k.verdicts.find(function (e) { return isObj(e.verdict) && e.verdict.verdictId === p.verdictId; });
        if (done) {
          done.verdict = Object.assign({}, done.verdict, { recorded: p.recorded, receipt: p.receipt, reason: p.reason });
        } else {
          k.verdicts.unshift({ kit: t[3], at: m.at, verdict: isObj(p) && p.type === 'exception' ? Object.assign({ outcome: 'exception', code: p.taskId }, p) : p, fresh: Date.now() });
          if (k.verdicts.length > MAX_VERDICTS) k.verdicts.length = MAX_VERDICTS;
        }
      } else if (t[4] === 'tasks') {
        k.tasks = p;
        k.tasksAt = m.at;
      }
    } else if (m.topic === 'cg/v1/gateway/status' && isObj(p)) {
      S.status = p;
      var before = {};
      S.alarms.forEach(function (a) { before[a.kind + '|' + a.source] = a.since; });
      S.alarms = (Array.isArray(p.alarms) ? p.alarms : []).map(function (a) {
        return { kind: a.kind, source: a.source, message: a.message, since: before[a.kind + '|' + a.source] || m.at };
      });
    }
    S.activity.push(m);
    if (S.activity.length > MAX_ACTIVITY) S.activity.splice(0, S.activity.length - MAX_ACTIVITY);
    schedule();
  }

  function onDevices(u) {
    if (!S) return;
    (u.devices || []).forEach(function (d) {
      var old = S.devices[d.id];
      if (old && old.lastEvent && d.lastEvent && Date.parse(old.lastEvent.at) > Date.parse(d.lastEvent.at)) d.lastEvent = old.lastEvent;
      S.devices[d.id] = d;
    });
    S.alarms = u.alarms || S.alarms;
    schedule();
  }

  /* ---------- rendering ---------- */

  function schedule() {
    if (dirty) return;
    dirty = true;
    requestAnimationFrame(function () { dirty = false; render(); });
  }

  function render() {
    if (!S) return;
    $('gw-id').textContent = S.gateway.id || '';
    $('operator').textContent = S.operator || '';
    var st = S.status || {};
    var state = $('gw-state');
    state.textContent = st.state || 'starting';
    state.className = 'pill ' + (st.state === 'running' ? 'ok' : 'warn');
    if (st.version) state.title = 'gateway ' + (st.gateway || '') + ' v' + st.version + (st.at ? ' · status ' + clock(st.at) : '');
    var rv = $('rules-version');
    if (isObj(st.rules) && st.rules.version !== undefined) {
      rv.hidden = false;
      rv.textContent = 'rules ' + st.rules.version;
    } else rv.hidden = true;
    renderAlarms();
    renderDevices();
    renderKits();
    renderJournal(st.journal);
    renderComponents(st);
    renderActivity();
  }

  function renderAlarms() {
    var box = clear($('alarms'));
    box.hidden = S.alarms.length === 0;
    S.alarms.forEach(function (a) {
      add(box, add(el('div', 'alarm'), el('b', 'alarm-kind', a.kind), el('span', 'alarm-source', a.source),
        el('span', 'alarm-msg', a.message), el('span', 'muted', a.since ? 'since ' + clock(a.since) : '')));
    });
  }

  function reading(e) {
    var p = e.payload || {};
    switch (e.type) {
      case 'weight': return grams(p.grams) + (p.stable ? ' · stable' : ' · in motion') + (p.status && p.status !== 'ok' ? ' · ' + p.status : '');
      case 'scan': return short(p.code, 28) + (p.symbology ? ' · ' + p.symbology : '');
      case 'position':
        return (num(p.lat) ? p.lat.toFixed(5) + ', ' + p.lon.toFixed(5) : '?') + (num(p.speedKmh) ? ' · ' + Math.round(p.speedKmh) + ' km/h' : '') + (p.fix ? ' · fix ' + p.fix : '');
      case 'locker': return 'door ' + p.compartment + ' ' + p.door + (p.occupied ? ' · occupied' : '');
      case 'exception': return p.reason + ' · task ' + p.taskId;
      case 'code': return 'code entered';
      case 'image': return 'image received';
      case 'cancel': return 'cancelled' + (p.reason ? ' · ' + p.reason : '');
      case 'confirm': return 'confirmed ' + p.verdictId;
      default: return short(p, 48);
    }
  }

  function stateCell(d) {
    var td = el('td', 'state');
    var cls = d.state === 'online' ? 'ok' : d.state === 'unavailable' ? 'bad' : d.state === 'connecting' ? 'warn' : 'off';
    add(td, el('span', 'pill ' + cls, d.state));
    if (d.state !== 'online' && d.reason) add(td, el('div', 'reason', d.reason));
    if (d.since) add(td, el('div', 'muted', ago(d.since)));
    return td;
  }

  function renderDevices() {
    var body = clear(document.querySelector('#devices tbody'));
    var list = Object.keys(S.devices).sort().map(function (id) { return S.devices[id]; });
    var online = list.filter(function (d) { return d.state === 'online'; }).length;
    $('dev-count').textContent = online + ' / ' + list.length + ' online';
    if (list.length === 0) add(body, add(el('tr'), (function () { var td = el('td', 'empty', 'No devices configured.'); td.colSpan = 6; return td; })()));
    list.forEach(function (d) {
      var tr = el('tr', 'dev dev-' + d.state);
      tr.setAttribute('data-device', d.id);
      tr.setAttribute('data-state', d.state);
      add(tr,
        add(el('td', 'id'), el('div', 'mono', d.id), el('div', 'muted', d.kind + (d.protocol ? ' · ' + d.protocol : '') + (d.transport ? ' · ' + d.transport : ''))),
        el('td', 'kit', d.kit),
        stateCell(d),
        d.lastEvent ? add(el('td', 'reading'), el('div', 'mono', reading(d.lastEvent)), el('div', 'muted', d.lastEvent.type + ' · ' + ago(d.lastEvent.at)))
          : el('td', 'reading muted', '—'));
      var faults = sum(d.faults);
      var f = el('td', 'num' + (faults ? ' warn-text' : ''), faults);
      f.title = Object.keys(d.faults || {}).map(function (k) { return k + ': ' + d.faults[k]; }).join('\n');
      var r = el('td', 'num' + (d.errors ? ' bad-text' : ''), d.errors || 0);
      if (d.lastError) r.title = d.lastError.reason + ' (' + clock(d.lastError.at) + ')';
      f.setAttribute('data-label', 'faults');
      r.setAttribute('data-label', 'refused');
      add(tr, f, r);
      add(body, tr);
    });
  }

  function outcomeClass(o) {
    o = String(o || '').toLowerCase();
    if (o === 'accepted' || o === 'accept' || o === 'ok' || o === 'pass') return 'ok';
    if (o.indexOf('review') >= 0 || o === 'warn') return 'warn';
    if (o === 'rejected' || o === 'reject' || o === 'fail' || o === 'error') return 'bad';
    return 'off';
  }
  function reasonText(r) {
    if (typeof r === 'string') return r;
    if (isObj(r)) return r.message || r.text || r.code || r.rule || short(r, 60);
    return String(r);
  }
  function recordedText(rec) {
    if (rec === true) return 'recorded';
    if (rec === false) return 'not recorded';
    if (typeof rec === 'string') return 'receipt ' + rec;
    if (isObj(rec)) return 'receipt ' + (rec.receipt || rec.id || short(rec, 30));
    return '';
  }

  function renderVerdict(entry) {
    var v = isObj(entry.verdict) ? entry.verdict : { outcome: 'unknown', note: entry.verdict };
    var outcome = v.outcome || v.result || v.status || 'unknown';
    var waybill = (isObj(v.waybill) ? v.waybill.value : v.waybill) || v.code || (isObj(v.scan) && v.scan.code) || '';
    var g = num(v.grams) ? v.grams : isObj(v.weight) && num(v.weight.grams) ? v.weight.grams : undefined;
    var fresh = entry.fresh && Date.now() - entry.fresh < 4000;
    var li = el('li', 'verdict v-' + outcomeClass(outcome) + (fresh ? ' fresh' : ''));
    li.setAttribute('data-outcome', outcome);
    var head = add(el('div', 'v-head'), el('span', 'pill ' + outcomeClass(outcome), outcome), el('span', 'mono waybill', waybill || '(no waybill)'),
      el('span', 'muted v-time', clock(v.at || entry.at)));
    var meta = [];
    if (v.taskId) meta.push('task ' + v.taskId);
    if (g !== undefined) meta.push(grams(g));
    if (v.deviceId) meta.push(v.deviceId);
    var rec = recordedText(v.receipt && v.recorded !== false ? v.receipt : v.recorded);
    add(li, head);
    if (meta.length || rec) add(li, add(el('div', 'v-meta muted', meta.join(' · ')), rec ? el('span', 'recorded' + (v.recorded === false ? ' no' : ''), rec) : null));
    var reasons = Array.isArray(v.reasons) ? v.reasons : v.reason ? [v.reason] : [];
    if (reasons.length) {
      var ul = el('ul', 'reasons');
      reasons.forEach(function (r) { add(ul, el('li', '', reasonText(r))); });
      add(li, ul);
    }
    return li;
  }

  function taskList(t) {
    if (Array.isArray(t)) return t;
    if (isObj(t) && Array.isArray(t.tasks)) return t.tasks;
    return null;
  }

  function renderTasks(k) {
    var box = el('div', 'tasks');
    var list = taskList(k.tasks);
    if (k.tasks === null || k.tasks === undefined) return add(box, el('p', 'empty', 'No tasks received yet.'));
    if (!list) return add(box, el('pre', 'raw', short(k.tasks, 400)));
    if (list.length === 0) return add(box, el('p', 'empty', 'No open tasks.'));
    var ol = el('ol', 'task-list');
    list.forEach(function (t) {
      if (!isObj(t)) { add(ol, el('li', 'task', short(t, 80))); return; }
      var status = t.status || t.state || '';
      var wb = t.waybill || (Array.isArray(t.parcels) ? t.parcels.map(function (p) { return isObj(p) ? p.waybill : p; }).join(', ') : '');
      var where = t.address || t.customer || t.name || '';
      if (isObj(where)) where = where.street || where.line1 || short(where, 40);
      var win = isObj(t.window) ? clock(t.window.from || t.window.start) + '–' + clock(t.window.to || t.window.end) : t.due ? clock(t.due) : '';
      var sub = [wb, win].filter(function (x) { return x; }).join(' · ');
      add(ol, add(el('li', 'task' + (status ? ' t-' + String(status).toLowerCase() : '')),
        add(el('div', 'task-main'), el('span', 'mono task-id', t.id || t.taskId || '?'), el('span', 'task-where', where)),
        status ? el('span', 'pill small ' + (/done|completed/.test(status) ? 'ok' : /exception|failed|absent/.test(status) ? 'bad' : 'off'), status) : el('span'),
        sub ? el('div', 'mono muted task-sub', sub) : null));
    });
    return add(box, ol);
  }

  function renderKits() {
    var box = clear($('kits'));
    Object.keys(S.kits).sort().forEach(function (id) {
      var k = S.kits[id];
      var card = el('section', 'card kit');
      card.setAttribute('data-kit', id);
      var counts = { ok: 0, warn: 0, bad: 0 };
      k.verdicts.forEach(function (e) { var c = outcomeClass(isObj(e.verdict) ? e.verdict.outcome || e.verdict.result : ''); if (counts[c] !== undefined) counts[c]++; });
      var n = taskList(k.tasks);
      add(card, add(el('h2'), el('span', '', 'Kit ' + id), k.courierId ? el('span', 'muted', ' · courier ' + k.courierId) : null,
        add(el('span', 'count'), el('span', 'ok-text', counts.ok + ' ✓'), el('span', 'warn-text', counts.warn + ' ?'), el('span', 'bad-text', counts.bad + ' ✗'))));
      var grid = el('div', 'kit-grid');
      var tasksCol = add(el('div', 'kit-col'), el('h3', '', 'Tasks' + (n ? ' (' + n.length + ')' : '')), renderTasks(k));
      var feed = el('ol', 'verdicts');
      feed.setAttribute('aria-live', 'polite');
      k.verdicts.slice(0, SHOWN_VERDICTS).forEach(function (e) { add(feed, renderVerdict(e)); });
      if (k.verdicts.length === 0) add(feed, el('li', 'empty', 'No verdicts yet.'));
      add(grid, tasksCol, add(el('div', 'kit-col'), el('h3', '', 'Verdicts'), feed));
      add(box, add(card, grid));
    });
  }

  function linkState(l) {
    if (typeof l === 'string') return { state: l };
    if (isObj(l)) return { state: l.state || 'unknown', error: l.lastError, at: l.lastSuccessAt };
    return null;
  }

  function renderJournal(j) {
    var box = clear($('journal'));
    if (!isObj(j)) { add(box, el('p', 'empty', 'No journal on this gateway.')); return; }
    var depth = isObj(j.depth) ? j.depth : {};
    var lanes = el('div', 'lanes');
    ['live', 'records', 'bulk'].forEach(function (lane) {
      add(lanes, add(el('div', 'lane'), el('div', 'lane-n', num(depth[lane]) ? depth[lane] : '–'), el('div', 'muted', lane)));
    });
    var dl = el('dl', 'kv');
    add(dl, el('dt', '', 'oldest unsent'), el('dd', num(j.oldestUnsentMs) && j.oldestUnsentMs > 15 * 60000 ? 'warn-text' : '', duration(j.oldestUnsentMs)));
    var l = linkState(j.link);
    if (l) {
      var cls = l.state === 'up' ? 'ok' : l.state === 'idle' ? 'off' : 'bad';
      add(dl, el('dt', '', 'link'), add(el('dd'), el('span', 'pill ' + cls, l.state)));
      if (l.error) add(dl, el('dt', '', 'last error'), el('dd', 'bad-text', short(l.error, 80)));
      if (l.at) add(dl, el('dt', '', 'last sync'), el('dd', '', ago(l.at)));
    }
    Object.keys(j).forEach(function (key) {
      if (key === 'depth' || key === 'oldestUnsentMs' || key === 'link') return;
      if (!isObj(j[key])) add(dl, el('dt', '', key), el('dd', '', short(j[key], 40)));
    });
    add(box, lanes, dl);
  }

  function flat(o, prefix, out) {
    Object.keys(o).forEach(function (k) {
      var v = o[k], key = prefix ? prefix + '.' + k : k;
      if (isObj(v) && !prefix) flat(v, key, out);
      else out.push([key, isObj(v) || Array.isArray(v) ? short(v, 60) : String(v)]);
    });
    return out;
  }

  function renderComponents(st) {
    var box = clear($('components'));
    var head = el('dl', 'kv');
    add(head, el('dt', '', 'state'), el('dd', '', st.state || '—'));
    if (st.version) add(head, el('dt', '', 'version'), el('dd', 'mono', st.version));
    if (st.at) add(head, el('dt', '', 'status at'), el('dd', '', clock(st.at)));
    add(box, head);
    Object.keys(st).sort().forEach(function (name) {
      if (name === 'alarms' || name === 'journal' || !isObj(st[name])) return;
      var c = add(el('div', 'component'), el('h3', '', name));
      var dl = el('dl', 'kv');
      var rows = flat(st[name], '', []);
      if (rows.length === 0) add(dl, el('dt', 'muted', 'running'), el('dd', ''));
      rows.forEach(function (r) { add(dl, el('dt', '', r[0]), el('dd', 'mono', r[1])); });
      add(box, add(c, dl));
    });
  }

  function topicLabel(t) { return t.indexOf('cg/v1/') === 0 ? t.slice(6) : t; }
  function activityText(m) {
    var t = m.topic.split('/'), p = m.payload;
    if (t[2] === 'devices' && t[4] === 'events') return reading({ type: t[5], payload: p });
    if (t[2] === 'devices' && t[4] === 'status' && isObj(p)) return p.state + (p.reason ? ' · ' + p.reason : '');
    if (t[2] === 'kits' && t[4] === 'verdicts' && isObj(p)) return (p.type === 'recorded' ? (p.recorded ? 'recorded ' + (p.receipt || '') : 'not recorded') : (p.outcome || p.type || '?')) + ' · ' + ((isObj(p.waybill) ? p.waybill.value : p.waybill) || p.taskId || '');
    if (t[2] === 'devices' && t[4] === 'errors' && isObj(p)) return (p.error || 'refused') + (p.reason ? ' · ' + p.reason : '');
    if (t[2] === 'kits' && t[4] === 'tasks') { var tl = taskList(p); return tl ? tl.length + ' tasks' : short(p, 60); }
    if (t[2] === 'gateway') return isObj(p) ? p.state + (Array.isArray(p.alarms) && p.alarms.length ? ' · ' + p.alarms.length + ' alarm(s)' : '') : '';
    return short(p, 60);
  }
  function renderActivity() {
    var ol = clear($('activity'));
    S.activity.slice().reverse().slice(0, 30).forEach(function (m) {
      add(ol, add(el('li'), el('span', 'muted a-time', clock(m.at)), el('span', 'mono a-topic', topicLabel(m.topic)), el('span', 'a-text', short(activityText(m), 60))));
    });
    if (!S.activity.length) add(ol, el('li', 'empty', 'Nothing on the bus yet.'));
  }

  /* ---------- connection ---------- */

  function setLink(state, text) {
    $('link').className = 'pill link-' + state;
    $('link-text').textContent = text;
  }

  function openStream() {
    if (source) source.close();
    setLink('wait', 'connecting');
    source = new EventSource('api/stream');
    source.addEventListener('open', function () { setLink('up', 'live'); });
    source.addEventListener('snapshot', function (e) { fromSnapshot(JSON.parse(e.data)); setLink('up', 'live'); });
    source.addEventListener('bus', function (e) { onBus(JSON.parse(e.data)); });
    source.addEventListener('devices', function (e) { onDevices(JSON.parse(e.data)); });
    source.addEventListener('dropped', function () {
      fetch('api/snapshot', { credentials: 'same-origin' }).then(function (r) { return r.ok ? r.json() : null; }).then(function (s) { if (s) fromSnapshot(s); });
    });
    source.addEventListener('expired', function () { source.close(); source = null; showLogin('Your session ended. Please log in again.'); });
    source.addEventListener('error', function () {
      if (source && source.readyState === EventSource.CLOSED) {
        setLink('down', 'disconnected');
        checkSession();
      } else setLink('wait', 'reconnecting');
    });
  }

  function showLogin(message) {
    if (source) { source.close(); source = null; }
    S = null;
    $('app-view').hidden = true;
    $('who').hidden = true;
    $('login-view').hidden = false;
    setLink('down', 'signed out');
    var err = $('login-error');
    err.hidden = !message;
    err.textContent = message || '';
    $('username').focus();
  }

  function showApp(username) {
    $('login-view').hidden = true;
    $('app-view').hidden = false;
    $('who').hidden = false;
    $('operator').textContent = username;
    openStream();
  }

  function checkSession() {
    fetch('api/session', { credentials: 'same-origin' }).then(function (r) {
      if (r.status === 401) return showLogin();
      if (!r.ok) { setLink('down', 'gateway error'); setTimeout(checkSession, 5000); return; }
      return r.json().then(function (s) { showApp(s.username); });
    }, function () { setLink('down', 'gateway unreachable'); setTimeout(checkSession, 5000); });
  }

  function login(ev) {
    ev.preventDefault();
    var button = $('login-button');
    button.disabled = true;
    fetch('api/login', {
      method: 'POST', credentials: 'same-origin', headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ username: $('username').value, password: $('password').value })
    }).then(function (r) {
      $('password').value = '';
      if (r.ok) return r.json().then(function (b) { showApp(b.username); });
      return r.json().catch(function () { return {}; }).then(function (b) {
        showLogin(r.status === 429 ? 'Too many failed attempts. Try again in ' + (b.retryAfterS || 'a few') + ' s.'
          : r.status === 401 ? 'Wrong user name or password.' : 'Login failed (' + r.status + ').');
      });
    }, function () { showLogin('The gateway did not answer.'); }).then(function () { button.disabled = false; });
  }

  function logout() {
    fetch('api/logout', { method: 'POST', credentials: 'same-origin' }).then(function () { showLogin(); }, function () { showLogin(); });
  }

  document.addEventListener('DOMContentLoaded', function () {
    $('login-form').addEventListener('submit', login);
    $('logout').addEventListener('click', logout);
    var q = new URLSearchParams(location.search).get('login');
    if (q) history.replaceState(null, '', location.pathname);
    if (q === 'failed') showLogin('Wrong user name or password.');
    else if (q === 'blocked') showLogin('Too many failed attempts. Try again later.');
    else checkSession();
    setInterval(function () { if (S) schedule(); }, 5000);
  });
})();
`;
