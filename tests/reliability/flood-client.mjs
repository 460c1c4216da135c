// A device publishing valid events as fast as its socket takes them (QoS 0), until SIGTERM.
// argv: url deviceId password; prints {"published":N,"seconds":S} when it stops.
import mqtt from 'mqtt';

const [url, id, password] = process.argv.slice(2);
const client = mqtt.connect(url, { username: id, password, clientId: `flood-${id}`, reconnectPeriod: 0 });
let published = 0;
let running = true;
const t0 = Date.now();
const topic = (type) => `cg/v1/devices/${id}/events/${type}`;

function payloadAt(n) {
  switch (n % 3) {
    case 0:
      return [topic('scan'), JSON.stringify({ code: `FLOOD${n}`, symbology: 'code128' })];
    case 1:
      return [topic('weight'), JSON.stringify({ grams: n % 5000, stable: false })];
    default:
      return [topic('position'), JSON.stringify({ lat: 52.5 + (n % 100) / 1e4, lon: 13.4, fix: '3d', speedKmh: 30 })];
  }
}

async function flood() {
  while (running) {
    // 200 publishes in the socket, then wait for the last one's write before the next 200
    await new Promise((resolve) => {
      for (let i = 0; i < 200; i++) {
        const [t, p] = payloadAt(published++);
        client.publish(t, p, { qos: 0 }, i === 199 ? resolve : undefined);
      }
    });
  }
}

client.on('connect', () => {
  process.stdout.write('flooding\n');
  void flood();
});
client.on('error', (err) => process.stderr.write(`${err.message}\n`));
process.on('SIGTERM', () => {
  running = false;
  process.stdout.write(`${JSON.stringify({ published, seconds: (Date.now() - t0) / 1000 })}\n`);
  client.end(true, () => process.exit(0));
});
