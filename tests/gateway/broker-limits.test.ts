/**
 * What one credential (or none) can make the broker hold: metric series bounded by topic
 * kind whatever the topics published, a packet over the size limit closing the connection
 * on its header, and topics that are not MQTT strings (NUL, invalid UTF-8) closing it too.
 */
import net from 'node:net';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { rawConnect as connectRaw } from '../helpers/raw-mqtt.js';
import { authFetch, DEVICE_PASSWORD, startTestGateway, testHash, type TestGateway } from '../helpers/gateway.js';

const MAX_PAYLOAD = 64 * 1024;
let t: TestGateway;

beforeAll(async () => {
  t = await startTestGateway({
    mqtt: { maxPayloadBytes: MAX_PAYLOAD, rateLimit: { perSecond: 10_000, burst: 10_000 } },
    kits: [{ id: 'van-1' }],
    devices: [{ id: 'terminal-1', kind: 'terminal', kit: 'van-1', credentials: { passwordHash: testHash() } }],
  });
});
afterAll(async () => t?.stop());

/** A raw MQTT connection of terminal-1 after its CONNACK; `closed` resolves when the broker closes it. */
function rawConnect(clientId: string): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  return connectRaw({ port: t.gateway.broker.ports.mqtt!, clientId, username: 'terminal-1', password: DEVICE_PASSWORD });
}

/** resolves 'closed' when the connection closes within `ms`, else 'open' */
function closedWithin(closed: Promise<void>, ms: number): Promise<'closed' | 'open'> {
  return Promise.race([closed.then(() => 'closed' as const), new Promise<'open'>((r) => setTimeout(() => r('open'), ms))]);
}

/** the fixed header of a PUBLISH (QoS 0) announcing `length` bytes to follow */
function publishHeader(length: number): Buffer {
  const bytes = [0x30];
  let n = length;
  do {
    let byte = n % 128;
    n = Math.floor(n / 128);
    if (n > 0) byte |= 0x80;
    bytes.push(byte);
  } while (n > 0);
  return Buffer.from(bytes);
}

/** the variable header and payload of a PUBLISH (QoS 0), the topic given as raw bytes */
function publishBody(topic: Buffer, payload: Buffer): Buffer {
  return Buffer.concat([Buffer.from([topic.length >> 8, topic.length & 0xff]), topic, payload]);
}

function rawPublish(topic: Buffer, payload: Buffer): Buffer {
  const body = publishBody(topic, payload);
  return Buffer.concat([publishHeader(body.length), body]);
}

async function metricSeries(name: string): Promise<string[]> {
  const text = await (await authFetch(`${t.httpUrl}/metrics`)).text();
  return text.split('\n').filter((l) => l.startsWith(`${name}{`));
}

describe('metric series from what devices publish', () => {
  it('stays bounded by topic kind whatever topics a device publishes on', async () => {
    const { socket, closed } = await rawConnect('metrics-1');
    const parts: Buffer[] = [];
    for (let i = 0; i < 200; i++) {
      parts.push(rawPublish(Buffer.from(`cg/v1/devices/terminal-1/events/e${i}-${'x'.repeat(200)}`), Buffer.from('{}')));
      parts.push(rawPublish(Buffer.from(`cg/v1/kits/van-1/k${i}`), Buffer.from('{}')));
      parts.push(rawPublish(Buffer.from(`junk/${i}/${'y'.repeat(100)}`), Buffer.from('{}')));
      parts.push(rawPublish(Buffer.from(`cg/v1/devices/terminal-1/commands/c${i}`), Buffer.from('{}')));
    }
    socket.write(Buffer.concat(parts));
    // wait until the broker has counted them all
    for (let i = 0; i < 100; i++) {
      const series = await metricSeries('cg_bus_messages_total');
      const total = series.filter((l) => l.includes('direction="in"')).reduce((sum, l) => sum + Number(l.split(' ').pop()), 0);
      if (total >= 800) break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const series = await metricSeries('cg_bus_messages_total');
    expect(series.length).toBeLessThan(30);
    expect(series.some((l) => l.includes('kind="other"'))).toBe(true);
    expect(series.every((l) => l.length < 200)).toBe(true);
    socket.destroy();
    await closed;
  });
});

describe('packet size', () => {
  it('closes the connection on the header of a packet over the limit, before its body arrives', async () => {
    const { socket, closed } = await rawConnect('big-1');
    // a PUBLISH header announcing 200 MB, then a few bytes of its body
    const start = publishBody(Buffer.from('cg/v1/devices/terminal-1/events/scan'), Buffer.alloc(1024, 0x61));
    socket.write(Buffer.concat([publishHeader(200 * 1024 * 1024), start]));
    expect(await closedWithin(closed, 2000)).toBe('closed');
  });

  it('takes a payload at the limit', async () => {
    const { socket, closed } = await rawConnect('big-2');
    socket.write(rawPublish(Buffer.from('cg/v1/devices/terminal-1/events/scan'), Buffer.alloc(MAX_PAYLOAD, 0x61)));
    expect(await closedWithin(closed, 500)).toBe('open');
    socket.destroy();
  });
});

describe('topics that are not MQTT strings', () => {
  it.each([
    ['a NUL character', Buffer.from('cg/v1/devices/terminal-1/events/sc\0an', 'utf8')],
    ['invalid UTF-8', Buffer.concat([Buffer.from('cg/v1/devices/terminal-1/events/'), Buffer.from([0xc3, 0x28])])],
    ['a lone surrogate', Buffer.concat([Buffer.from('cg/v1/devices/terminal-1/events/'), Buffer.from([0xed, 0xa0, 0x80])])],
  ])('closes the connection on a topic with %s', async (_name, topic) => {
    const { socket, closed } = await rawConnect(`bad-topic-${topic.length}`);
    socket.write(rawPublish(topic, Buffer.from(JSON.stringify({ code: 'X' }))));
    expect(await closedWithin(closed, 2000)).toBe('closed');
  });

  it('keeps the connection of a topic with valid UTF-8 beyond ASCII', async () => {
    const { socket, closed } = await rawConnect('good-topic');
    socket.write(rawPublish(Buffer.from('cg/v1/devices/terminal-1/events/ščan✓'), Buffer.from('{}')));
    expect(await closedWithin(closed, 500)).toBe('open');
    socket.destroy();
  });
});
