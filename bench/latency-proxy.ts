/**
 * A TCP proxy that adds latency: every chunk is forwarded `oneWayDelayMs` after it arrived, in
 * both directions, in arrival order (a FIFO per direction with one timer, so order never
 * depends on timer tie-breaking). The upstream connection is opened one round trip after the
 * client's connection is accepted, standing in for the TCP handshake the loopback skips.
 * This kernel has no tc netem, hence a proxy; it models latency only, not bandwidth or loss.
 */
import net from 'node:net';

export interface ProxyRoute {
  readonly listenHost: string;
  readonly listenPort: number;
  readonly targetHost: string;
  readonly targetPort: number;
}

export interface LatencyProxy {
  readonly connections: () => number;
  close(): Promise<void>;
}

/** Forwards what `from` sends to `to`, each chunk `delayMs` late, order kept. */
function delayedForward(from: net.Socket, to: net.Socket, delayMs: number, onGone: () => void): void {
  const queue: Array<{ due: number; chunk: Buffer | null }> = [];
  let timer: NodeJS.Timeout | undefined;
  const flush = () => {
    timer = undefined;
    const now = performance.now();
    while (queue.length > 0 && queue[0]!.due <= now + 0.5) {
      const { chunk } = queue.shift()!;
      if (chunk === null) to.end();
      else if (!to.destroyed) to.write(chunk);
    }
    arm();
  };
  const arm = () => {
    if (timer || queue.length === 0) return;
    timer = setTimeout(flush, Math.max(0, queue[0]!.due - performance.now()));
  };
  const push = (chunk: Buffer | null) => {
    queue.push({ due: performance.now() + delayMs, chunk });
    arm();
  };
  from.on('data', (chunk: Buffer) => push(chunk));
  from.on('end', () => push(null));
  from.on('error', () => undefined);
  from.on('close', () => setTimeout(onGone, delayMs + 5));
}

export function startLatencyProxy(routes: readonly ProxyRoute[], oneWayDelayMs: number): Promise<LatencyProxy> {
  let open = 0;
  const sockets = new Set<net.Socket>();
  const servers = routes.map((route) =>
    net.createServer({ noDelay: true }, (client) => {
      open++;
      sockets.add(client);
      client.setNoDelay(true);
      client.pause(); // nothing is read until upstream exists; what arrives waits in the kernel
      let upstream: net.Socket | undefined;
      const gone = () => {
        client.destroy();
        upstream?.destroy();
      };
      client.once('close', () => {
        open--;
        sockets.delete(client);
      });
      client.on('error', () => undefined);
      setTimeout(() => {
        if (client.destroyed) return;
        upstream = net.connect({ host: route.targetHost, port: route.targetPort, noDelay: true });
        sockets.add(upstream);
        upstream.once('close', () => sockets.delete(upstream!));
        upstream.on('error', () => gone());
        delayedForward(client, upstream, oneWayDelayMs, gone);
        delayedForward(upstream, client, oneWayDelayMs, gone);
        client.resume();
      }, 2 * oneWayDelayMs);
    }),
  );
  return Promise.all(
    servers.map(
      (server, i) =>
        new Promise<void>((resolve, reject) => {
          server.once('error', reject);
          server.listen(routes[i]!.listenPort, routes[i]!.listenHost, () => resolve());
        }),
    ),
  ).then(() => ({
    connections: () => open,
    async close() {
      for (const s of sockets) s.destroy();
      await Promise.all(servers.map((s) => new Promise<void>((resolve) => s.close(() => resolve()))));
    },
  }));
}
