import { RUN_EVENTS_START, type RunCancelMark, type RunEventBatch, type RunProgressSnapshot } from '@simplecm/queue';

/** What waiting on a run reads: its totals and cancel mark directly, and its events (run-events.ts). */
export interface RunWatch {
  /** The run's totals and cancel mark, read now (the first look, and the safety re-check). */
  readonly check: () => Promise<{ readonly progress: RunProgressSnapshot; readonly cancel: RunCancelMark | undefined }>;
  /** The run's events after `afterId`, waiting up to `blockMs` for one (an empty batch then). */
  readonly next: (afterId: string, blockMs: number) => Promise<RunEventBatch>;
}

export interface WaitForRunOptions {
  /** The safety re-check: the totals are read again when no event came for this long. */
  readonly recheckMs: number;
  /** After a failed read (Redis away), the pause before the next try. */
  readonly retryMs: number;
  /** Each time the totals are known (the progress bar). */
  readonly onProgress: (done: number, failed: number) => void;
  /** A read failed; the wait goes on. */
  readonly onError: (error: unknown) => void;
  /** Before each look (the caller re-adds the run's jobs after Redis came back); an error counts as a failed read. */
  readonly beforeLook?: () => Promise<void>;
}

/** Whether the run with these totals is over: every host done, or the rest taken out by a cancel. */
export function runIsOver(hostCount: number, hostsDone: number, cancel: RunCancelMark | undefined): boolean {
  return hostsDone >= hostCount || (cancel?.state === 'cancelled' && hostsDone + cancel.hostsCancelled >= hostCount);
}

/**
 * Waits until the run of `hostCount` hosts is over, told by its events: the results consumer
 * announces the totals after each group it records (the last one ends the wait) and a cancel
 * announces its end. Nothing is polled: between events the wait blocks on the stream. The totals
 * are read directly first (the run may be over already) and again whenever `recheckMs` passes
 * without an event, so an event lost (Redis restarted from its AOF without it) delays the end by
 * at most `recheckMs`. Reading the stream from its start after the first look leaves no gap in
 * which an event could be missed.
 */
export async function waitForRun(watch: RunWatch, hostCount: number, options: WaitForRunOptions): Promise<void> {
  let afterId = RUN_EVENTS_START;
  let lookDue = 0;
  let hostsDone = 0;
  for (;;) {
    try {
      await options.beforeLook?.();
      if (Date.now() >= lookDue) {
        const { progress, cancel } = await watch.check();
        hostsDone = progress.hostsDone;
        options.onProgress(progress.hostsDone, progress.hostsFailed);
        if (runIsOver(hostCount, progress.hostsDone, cancel)) return;
        lookDue = Date.now() + options.recheckMs;
      }
      const batch = await watch.next(afterId, Math.max(1, lookDue - Date.now()));
      afterId = batch.lastId;
      for (const event of batch.events) {
        if (event.kind === 'cancelled') {
          if (runIsOver(hostCount, hostsDone, { state: 'cancelled', hostsCancelled: event.hostsCancelled })) return;
          // A cancel whose hosts are still being recorded: look at the totals again at once.
          lookDue = 0;
          continue;
        }
        // Events older than the first look (the stream is read from its start) say nothing new.
        if (event.hostsDone < hostsDone) continue;
        hostsDone = event.hostsDone;
        options.onProgress(event.hostsDone, event.hostsFailed);
      }
      if (hostsDone >= hostCount) return;
    } catch (error) {
      options.onError(error);
      lookDue = 0;
      await new Promise((r) => setTimeout(r, options.retryMs));
    }
  }
}
