/**
 * Waits for an orderly close for at most `limitMs` (a number, or a function read again while
 * waiting); past that calls `giveUp` (drop connections, force
 * BullMQ closed) and resolves `false`. While Redis is down, BullMQ's close waits for a connection
 * that never comes and ioredis keeps reconnecting: this is what lets SIGTERM end a process then.
 * A late failure of the abandoned close is ignored.
 */
export async function boundedClose(orderly: Promise<void>, limitMs: number | (() => number), giveUp: () => void): Promise<boolean> {
  const started = Date.now();
  const limit = typeof limitMs === 'number' ? () => limitMs : limitMs;
  let timer: NodeJS.Timeout | undefined;
  // The limit may change while we wait (e.g. shorter once Redis is known to be down): look again
  // every 100 ms.
  const timedOut = new Promise<true>((resolve) => {
    const check = () => {
      if (Date.now() - started >= limit()) resolve(true);
      else timer = setTimeout(check, 100);
    };
    check();
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
