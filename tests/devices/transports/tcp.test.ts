/** The TCP link on loopback: frames through its framing, 'close' when the printer's port goes, back by itself when it returns. */
import { describe, expect, it } from 'vitest';
import { byteFraming } from '../../../devices/transports/framing.js';
import { TcpLink } from '../../../devices/transports/tcp.js';
import { TcpEndpoint } from '../../../simulators/devices/tcp-endpoint.js';
import { waitUntil } from '../../helpers/device-peer.js';

describe('TcpLink', () => {
  it('connects, passes frames both ways, and reconnects after the peer goes and comes back', async () => {
    const peer = new TcpEndpoint();
    const got: number[] = [];
    peer.onData((bytes) => {
      got.push(...bytes);
      peer.write(Buffer.of(0x12));
    });
    await peer.open();
    const link = new TcpLink({ host: '127.0.0.1', port: peer.tcpPort, framing: byteFraming(), backoff: { minMs: 20, maxMs: 40 } });
    const events: string[] = [];
    const frames: number[] = [];
    link.on('open', () => events.push('open'));
    link.on('close', () => events.push('close'));
    link.on('frame', (f) => frames.push((f as Buffer)[0]));
    await expect(link.write('x')).rejects.toThrow(/not connected/);
    link.start();
    try {
      await waitUntil(() => link.isOpen, 'the link to open');
      await link.write(Uint8Array.of(0x10, 0x04, 0x01));
      await waitUntil(() => frames.length === 1, 'the answer');
      expect(got).toEqual([0x10, 0x04, 0x01]);
      expect(frames).toEqual([0x12]);
      await peer.unplug();
      await waitUntil(() => !link.isOpen && events.includes('close'), 'the close');
      await peer.replug();
      await waitUntil(() => link.isOpen, 'the link to reopen', 5000);
      expect(events.slice(0, 3)).toEqual(['open', 'close', 'open']);
    } finally {
      await link.stop();
      await peer.close();
    }
  });
});
