import net from 'node:net';
import { StackError } from './stack-error';

/** True when something accepts TCP connections on host:port. */
export function isPortOpen(host: string, port: number, timeoutMs = 500): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect({ host, port });
    const done = (open: boolean) => {
      socket.destroy();
      resolve(open);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

/** Refuses to start when another program holds a port we need. */
export async function assertPortFree(host: string, port: number, purpose: string): Promise<void> {
  if (await isPortOpen(host, port)) {
    throw new StackError(
      `port ${host}:${port} (${purpose}) is already taken by another program: stop it (see 'ss -ltnp sport = :${port}') or run 'npm run stack -- down' if it is a stale SimpleCM stack`,
    );
  }
}
