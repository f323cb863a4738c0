import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import { partitionOfQueue } from '@simplecm/queue';
import { Router, type RequestHandler } from 'express';

export const QUEUE_BOARD_PATH = '/queues';

/**
 * The only changes Bull Board may make, with `--queue-actions`: retry and clean (a job or a whole
 * status), pause and resume (a queue or all). Its other writes would let a dashboard login run
 * anything on every host (add a host job, edit a waiting job's data) or destroy history (empty,
 * obliterate), so they are refused for every queue, whatever Bull Board's own settings say.
 */
const ALLOWED_QUEUE_ACTIONS: readonly RegExp[] = [
  /^\/api\/queues\/(pause|resume)$/,
  /^\/api\/queues\/[^/]+\/(pause|resume)$/,
  /^\/api\/queues\/[^/]+\/(retry|clean)\/[^/]+$/,
  /^\/api\/queues\/[^/]+\/[^/]+\/(retry|clean)$/,
];

/** Refuses (403) every request that could change something, unless it is an allowed action. */
export function queueActionGuard({ actions }: { actions: boolean }): RequestHandler {
  return (req, res, next) => {
    if (req.method === 'GET' || req.method === 'HEAD') return next();
    if (actions && req.method === 'PUT' && ALLOWED_QUEUE_ACTIONS.some((route) => route.test(req.path))) return next();
    res.status(403).json({ error: `${req.method} ${req.path}: not allowed from the dashboard` });
  };
}

/**
 * Bull Board for the given queues, to mount at {@link QUEUE_BOARD_PATH}, behind
 * {@link queueActionGuard}. Read-only unless `actions`: no retry, clean, pause or resume from
 * the browser (Bull Board refuses them in its API too, not only in its UI). `formatData` shows
 * each job's data through it (hostJobDataRedactor).
 */
export function queueBoardRouter(queues: readonly Queue[], { actions, basePath = '', formatData }: { actions: boolean; basePath?: string; formatData?: (data: unknown) => unknown }): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(`${basePath}${QUEUE_BOARD_PATH}`);
  // With queue partitions there is a `hosts` and a `results` queue per partition: each is named
  // after its partition (`p1.hosts`, shown "hosts (partition 1)"). One partition: as before.
  const adapters = queues.map((q) => {
    const partition = partitionOfQueue(queues, q);
    const named = partition === undefined ? {} : { prefix: `p${partition}.`, displayName: `${q.name} (partition ${partition})` };
    return new BullMQAdapter(q, { readOnlyMode: !actions, allowRetries: actions, ...named });
  });
  // The job view's data goes through formatData (sensitive attribute values shown as ***).
  if (formatData) for (const adapter of adapters) adapter.setFormatter('data', formatData);
  createBullBoard({
    queues: adapters,
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'SimpleCM queues',
        miscLinks: [{ text: 'Run history', url: `${basePath}/` }],
        hideDocsLink: true,
      },
    },
  });
  const router = Router();
  router.use(queueActionGuard({ actions }), serverAdapter.getRouter() as Router);
  return router;
}
