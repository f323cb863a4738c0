import { once } from 'node:events';
import type { AddressInfo } from 'node:net';
import net from 'node:net';
import type { Server } from 'node:http';
import { createLimitedServer, DASHBOARD_HTTP_LIMITS } from '../http-server-limits';

async function listening(server: Server): Promise<number> {
  server.listen(0, '127.0.0.1');
  await once(server, 'listening');
  return (server.address() as AddressInfo).port;
}

/** Connects and resolves with what the server sent once it closes the connection. */
function untilClosed(socket: net.Socket): Promise<string> {
  let received = '';
  socket.on('data', (d: Buffer) => (received += d.toString('latin1')));
  socket.on('error', () => undefined);
  return new Promise((resolve) => socket.on('close', () => resolve(received)));
}

describe('dashboard HTTP server limits', () => {
  const servers: Server[] = [];
  afterEach(async () => {
    for (const s of servers.splice(0)) {
      s.closeAllConnections();
      await new Promise((r) => s.close(r));
    }
  });

  it('sets the timeouts and the connection cap', () => {
    const server = createLimitedServer(() => undefined);
    servers.push(server);
    expect([server.headersTimeout, server.requestTimeout, server.keepAliveTimeout, server.maxConnections]).toEqual([
      DASHBOARD_HTTP_LIMITS.headersTimeoutMs,
      DASHBOARD_HTTP_LIMITS.requestTimeoutMs,
      DASHBOARD_HTTP_LIMITS.keepAliveTimeoutMs,
      DASHBOARD_HTTP_LIMITS.maxConnections,
    ]);
  });

  it('refuses a headers timeout longer than the request timeout', () => {
    expect(() => createLimitedServer(() => undefined, { ...DASHBOARD_HTTP_LIMITS, headersTimeoutMs: 40_000 })).toThrow(/headersTimeoutMs/);
  });

  it('closes a client that never finishes its headers', async () => {
    const server = createLimitedServer((_q, res) => res.end('ok'), { headersTimeoutMs: 300, requestTimeoutMs: 300, keepAliveTimeoutMs: 300, maxConnections: 10, checkIntervalMs: 100 });
    servers.push(server);
    const socket = net.connect(await listening(server), '127.0.0.1');
    const closed = untilClosed(socket);
    socket.write('GET / HTTP/1.1\r\nHost: x\r\nX-Slow: ');
    expect(await closed).toMatch(/^HTTP\/1\.1 408/);
  });

  it('closes connections past the cap while the first ones are served', async () => {
    const server = createLimitedServer((_q, res) => res.end('ok'), { ...DASHBOARD_HTTP_LIMITS, maxConnections: 2 });
    servers.push(server);
    const port = await listening(server);
    const held = [net.connect(port, '127.0.0.1'), net.connect(port, '127.0.0.1')];
    await Promise.all(held.map((s) => once(s, 'connect')));
    const extra = net.connect(port, '127.0.0.1');
    const closed = untilClosed(extra);
    extra.on('connect', () => extra.write('GET / HTTP/1.1\r\nHost: x\r\n\r\n'));
    expect(await closed).toBe('');
    const answer = untilClosed(held[0]!);
    held[0]!.end('GET / HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n');
    expect(await answer).toMatch(/^HTTP\/1\.1 200[\s\S]*ok$/);
    held[1]!.destroy();
  });
});
