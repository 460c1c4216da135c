/** A raw MQTT 3.1.1 connection for tests that write bytes a client library would not. */
import net from 'node:net';
import mqttPacket from 'mqtt-packet';

/** Connects, sends CONNECT, and resolves after a CONNACK of 0; `closed` resolves when the broker closes the socket. */
export async function rawConnect(o: { port: number; clientId: string; username: string; password: string }): Promise<{ socket: net.Socket; closed: Promise<void> }> {
  const socket = net.connect(o.port, '127.0.0.1');
  await new Promise<void>((resolve, reject) => {
    socket.once('connect', resolve);
    socket.once('error', reject);
  });
  const closed = new Promise<void>((resolve) => socket.once('close', () => resolve()));
  socket.on('error', () => undefined);
  const parser = mqttPacket.parser();
  const connack = new Promise<number>((resolve, reject) => {
    parser.once('packet', (p: { cmd: string; returnCode?: number }) => (p.cmd === 'connack' ? resolve(p.returnCode ?? -1) : reject(new Error(p.cmd))));
    void closed.then(() => reject(new Error('closed before CONNACK')));
  });
  socket.on('data', (d) => parser.parse(d));
  socket.write(mqttPacket.generate({ cmd: 'connect', protocolId: 'MQTT', protocolVersion: 4, clean: true, clientId: o.clientId, keepalive: 60, username: o.username, password: Buffer.from(o.password) } as never));
  const code = await connack;
  if (code !== 0) throw new Error(`CONNACK ${code}`);
  return { socket, closed };
}
