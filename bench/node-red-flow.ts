/**
 * The Node-RED flow a user would build for the gateway's weigh-and-scan job: MQTT in from
 * the broker, a function node pairing scans with stable weights per kit and making the
 * same checks (S10 check digit, task match, weight within 10 % or 50 g of the declared
 * weight, duplicate), a file node appending each accepted pickup as a JSON line, then the
 * verdict out over MQTT on cg/v1/kits/{kit}/verdicts (not-accepted verdicts go straight
 * out). Devices, kits and tasks come from functionGlobalContext (`bench`).
 */

/** What settings.js hands the flow in global context `bench`. */
export interface NodeRedContext {
  devices: { id: string; kit: string }[];
  tasks: { id: string; kit: string; waybill: string; declaredWeightGrams?: number }[];
}

const initialize = `
const bench = global.get('bench');
const st = { devices: new Map(), tasks: new Map(), picked: new Set(), kits: new Map(), n: 0 };
for (const d of bench.devices) st.devices.set(d.id, d.kit);
for (const t of bench.tasks) st.tasks.set(t.kit + '|' + t.waybill, t);
context.set('st', st);
`;

const func = `
const st = context.get('st');
const parts = msg.topic.split('/');
const kit = st.devices.get(parts[3]);
if (kit === undefined) return null;
const type = parts[5];
const p = msg.payload;
let k = st.kits.get(kit);
if (!k) { k = {}; st.kits.set(kit, k); }
if (type === 'scan') {
  if (typeof p.code !== 'string') return null;
  if (k.weight) { const w = k.weight; k.weight = undefined; return judge(p.code, w); }
  k.scan = p.code;
  return null;
}
if (type === 'weight') {
  if (p.stable !== true || typeof p.grams !== 'number') return null;
  // an empty scale between parcels is no weight to pair
  if (p.grams <= 0) { k.weight = undefined; return null; }
  if (k.scan) { const code = k.scan; k.scan = undefined; return judge(code, p); }
  k.weight = p;
  return null;
}
return null;

function s10Valid(code) {
  const m = /^([A-Z]{2})(\\d{8})(\\d)([A-Z]{2})$/.exec(code);
  if (!m) return false;
  const w = [8, 6, 4, 2, 3, 5, 9, 7];
  let sum = 0;
  for (let i = 0; i < 8; i++) sum += w[i] * (m[2].charCodeAt(i) - 48);
  let r = 11 - (sum % 11);
  if (r === 10) r = 0;
  else if (r === 11) r = 5;
  return r === Number(m[3]);
}

function judge(code, w) {
  const waybill = code.trim().toUpperCase();
  const reasons = [];
  if (!s10Valid(waybill)) reasons.push({ code: 'WAYBILL_INVALID', severity: 'reject' });
  const task = st.tasks.get(kit + '|' + waybill);
  if (!task) reasons.push({ code: 'UNKNOWN_TASK', severity: 'review' });
  if (st.picked.has(waybill)) reasons.push({ code: 'DUPLICATE_PICKUP', severity: 'reject' });
  if (task && typeof task.declaredWeightGrams === 'number') {
    const allowed = Math.max(task.declaredWeightGrams * 0.1, 50);
    if (Math.abs(w.grams - task.declaredWeightGrams) > allowed) reasons.push({ code: 'WEIGHT_MISMATCH', severity: 'review' });
  }
  const outcome = reasons.some((r) => r.severity === 'reject') ? 'rejected' : reasons.length > 0 ? 'needs-review' : 'accepted';
  const verdictId = 'nr-' + (++st.n);
  const verdict = { type: 'verdict', verdictId, kit, waybill: { value: waybill }, taskId: task ? task.id : null, grams: w.grams, outcome, reasons };
  const topic = 'cg/v1/kits/' + kit + '/verdicts';
  if (outcome !== 'accepted') return [null, { topic, payload: verdict }];
  st.picked.add(waybill);
  const record = { id: verdictId, kind: 'pickup.completed', kit, waybill, taskId: task.id, grams: w.grams, at: new Date().toISOString() };
  return [{ topic, payload: JSON.stringify(record), verdict }, null];
}
`;

export function nodeRedFlow(o: { mqttPort: number; recordsFile: string }): unknown[] {
  return [
    { id: 'bench-tab', type: 'tab', label: 'weigh and scan' },
    { id: 'bench-broker', type: 'mqtt-broker', name: 'bus', broker: '127.0.0.1', port: String(o.mqttPort), clientid: 'node-red-bench', autoConnect: true, usetls: false, protocolVersion: '4', keepalive: '60', cleansession: true },
    { id: 'bench-in', type: 'mqtt in', z: 'bench-tab', name: 'device events', topic: 'cg/v1/devices/+/events/+', qos: '1', datatype: 'json', broker: 'bench-broker', nl: false, rap: true, rh: 0, inputs: 0, x: 100, y: 100, wires: [['bench-check']] },
    { id: 'bench-check', type: 'function', z: 'bench-tab', name: 'pair and check', func, outputs: 2, timeout: 0, noerr: 0, initialize, finalize: '', libs: [], x: 300, y: 100, wires: [['bench-file'], ['bench-out']] },
    { id: 'bench-file', type: 'file', z: 'bench-tab', name: 'append record', filename: o.recordsFile, filenameType: 'str', appendNewline: true, createDir: true, overwriteFile: 'false', encoding: 'none', x: 500, y: 80, wires: [['bench-verdict']] },
    { id: 'bench-verdict', type: 'change', z: 'bench-tab', name: 'verdict', rules: [{ t: 'set', p: 'payload', pt: 'msg', to: 'verdict', tot: 'msg' }], x: 650, y: 80, wires: [['bench-out']] },
    { id: 'bench-out', type: 'mqtt out', z: 'bench-tab', name: 'verdicts', topic: '', qos: '1', retain: 'false', broker: 'bench-broker', x: 800, y: 100, wires: [] },
  ];
}
