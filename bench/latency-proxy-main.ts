/**
 * The latency proxy as a process of its own, so its work never competes with the measured
 * processes' event loops. Request `{ op: 'start', routes, oneWayDelayMs }`, then `{ op: 'stats' }`.
 */
import { serveRequests } from './bench-child';
import { startLatencyProxy, type LatencyProxy, type ProxyRoute } from './latency-proxy';

let proxy: LatencyProxy | undefined;

serveRequests(async (request) => {
  switch (request.op) {
    case 'start':
      await proxy?.close();
      proxy = await startLatencyProxy(request.routes as ProxyRoute[], Number(request.oneWayDelayMs));
      return { listening: (request.routes as ProxyRoute[]).length };
    case 'stats':
      return { connections: proxy?.connections() ?? 0 };
    default:
      throw new Error(`unknown request ${JSON.stringify(request)}`);
  }
});
