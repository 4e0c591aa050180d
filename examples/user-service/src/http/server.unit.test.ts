import { connect } from 'node:net';
import { describe, expect, it } from 'vitest';
import { serviceMetrics } from '../metrics.js';
import { createServer, trackRequestsInFlight } from './server.js';

describe('trackRequestsInFlight', () => {
  it('lets a shutdown go on when a client leaves after sending its whole request', async () => {
    const app = createServer({ log: false, metrics: serviceMetrics('in-flight-test') });
    const requestsDone = trackRequestsInFlight(app);
    let handled = false;
    app.post('/slow', async () => {
      await new Promise((resolve) => setTimeout(resolve, 200));
      handled = true;
      return { ok: true };
    });
    const address = new URL(await app.listen({ port: 0, host: '127.0.0.1' }));
    const body = '{"a":1}';
    const socket = connect(Number(address.port), '127.0.0.1');
    socket.on('error', () => undefined);
    socket.write(`POST /slow HTTP/1.1\r\nhost: x\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\n\r\n${body}`);
    await new Promise((resolve) => setTimeout(resolve, 50)); // the handler is running
    socket.destroy();
    await new Promise((resolve) => setTimeout(resolve, 250)); // it has answered into the closed socket
    expect(handled).toBe(true);
    await app.close();
    await expect(
      Promise.race([requestsDone().then(() => 'done'), new Promise((resolve) => setTimeout(resolve, 2_000, 'hung'))]),
    ).resolves.toBe('done');
  });
});
