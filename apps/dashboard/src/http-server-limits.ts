import { createServer, type RequestListener, type Server } from 'node:http';

/** Bounds on the dashboard's HTTP server, so slow or many clients cannot hold it forever. */
export interface HttpServerLimits {
  /** Time a client has to send the request's headers. */
  readonly headersTimeoutMs: number;
  /** Time a client has to send the whole request (headers and body); not less than the above. */
  readonly requestTimeoutMs: number;
  /** How long an idle keep-alive connection stays open. */
  readonly keepAliveTimeoutMs: number;
  /** Connections at once; more are closed as they arrive. */
  readonly maxConnections: number;
  /** How often Node checks the two request timeouts. */
  readonly checkIntervalMs: number;
}

export const DASHBOARD_HTTP_LIMITS = {
  headersTimeoutMs: 10_000,
  requestTimeoutMs: 30_000,
  keepAliveTimeoutMs: 5_000,
  maxConnections: 256,
  checkIntervalMs: 1_000,
} as const satisfies HttpServerLimits;

/** An HTTP server for `handler` with `limits` in force (not yet listening). */
export function createLimitedServer(handler: RequestListener, limits: HttpServerLimits = DASHBOARD_HTTP_LIMITS): Server {
  if (limits.headersTimeoutMs > limits.requestTimeoutMs) throw new Error('createLimitedServer: headersTimeoutMs must not exceed requestTimeoutMs');
  const server = createServer(
    {
      headersTimeout: limits.headersTimeoutMs,
      requestTimeout: limits.requestTimeoutMs,
      connectionsCheckingInterval: limits.checkIntervalMs,
    },
    handler,
  );
  server.keepAliveTimeout = limits.keepAliveTimeoutMs;
  server.maxConnections = limits.maxConnections;
  return server;
}
