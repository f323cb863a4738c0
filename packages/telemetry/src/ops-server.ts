import { once } from 'node:events';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { errorMessage } from '@simplecm/kernel';
import type { Registry } from 'prom-client';

/** What /healthz, /readyz and /metrics answer from. */
export interface OpsEndpoints {
  readonly registry: Registry;
  /** Services this process needs now, by name, and whether each answered last (what /readyz shows). */
  readonly readiness: () => Record<string, boolean> | Promise<Record<string, boolean>>;
  /** More Prometheus text appended to /metrics (BullMQ's queue export); a failure is left out. */
  readonly extraMetrics?: () => Promise<string>;
}

/**
 * Answers an operations request, or returns false for a path that is not one:
 * `/healthz` 200 while the process runs; `/readyz` 200 when every service answered, else 503,
 * with a JSON body of each service's state; `/metrics` the Prometheus text.
 */
export async function answerOpsRequest(endpoints: OpsEndpoints, path: string, res: http.ServerResponse): Promise<boolean> {
  if (path === '/healthz') {
    res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}\n');
    return true;
  }
  if (path === '/readyz') {
    const services = await endpoints.readiness();
    const ready = Object.values(services).every(Boolean);
    res.writeHead(ready ? 200 : 503, { 'content-type': 'application/json' }).end(`${JSON.stringify({ ready, services })}\n`);
    return true;
  }
  if (path === '/metrics') {
    let text = await endpoints.registry.metrics();
    if (endpoints.extraMetrics) text += await endpoints.extraMetrics().catch(() => '');
    res.writeHead(200, { 'content-type': endpoints.registry.contentType }).end(text);
    return true;
  }
  return false;
}

export interface OpsServer {
  /** The port it listens on (the real one when 0 was asked for). */
  readonly port: number;
  readonly url: string;
  /** Safe to call twice. */
  close(): Promise<void>;
}

/** A small HTTP server with /healthz, /readyz and /metrics only (worker, results consumer). */
export async function startOpsServer(endpoints: OpsEndpoints, { host, port }: { host: string; port: number }): Promise<OpsServer> {
  const server = http.createServer((req, res) => {
    const path = (req.url ?? '/').split('?')[0] ?? '/';
    answerOpsRequest(endpoints, path, res).then(
      (answered) => {
        if (!answered) res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      },
      (error: unknown) => {
        if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
        res.end(`${errorMessage(error)}\n`);
      },
    );
  });
  server.listen(port, host);
  await Promise.race([once(server, 'listening'), once(server, 'error').then(([error]) => Promise.reject(error))]);
  const actual = (server.address() as AddressInfo).port;
  let closing: Promise<void> | undefined;
  return {
    port: actual,
    url: `http://${host.includes(':') ? `[${host}]` : host}:${actual}`,
    close() {
      closing ??= new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
      return closing;
    },
  };
}
