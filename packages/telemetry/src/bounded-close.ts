/**
 * Waits for an orderly close for at most `ms`; past that calls `giveUp` (drop connections, force
 * BullMQ closed) and resolves `false`. While Redis is down, BullMQ's close waits for a connection
 * that never comes and ioredis keeps reconnecting: this is what lets SIGTERM end a process then.
 * A late failure of the abandoned close is ignored.
 */
export async function boundedClose(orderly: Promise<void>, ms: number, giveUp: () => void): Promise<boolean> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<true>((resolve) => {
    timer = setTimeout(() => resolve(true), ms);
  });
  try {
    if (await Promise.race([orderly.then(() => false as const), timedOut])) {
      orderly.catch(() => undefined);
      giveUp();
      return false;
    }
    return true;
  } finally {
    clearTimeout(timer);
  }
}
