import { createBullBoard } from '@bull-board/api';
import { BullMQAdapter } from '@bull-board/api/bullMQAdapter';
import { ExpressAdapter } from '@bull-board/express';
import type { Queue } from 'bullmq';
import type { Router } from 'express';

export const QUEUE_BOARD_PATH = '/queues';

/**
 * Bull Board for the given queues, to mount at {@link QUEUE_BOARD_PATH}. Read-only unless
 * `actions`: no retry, remove, pause or clean from the browser (Bull Board refuses them in its
 * API too, not only in its UI).
 */
export function queueBoardRouter(queues: readonly Queue[], { actions }: { actions: boolean }): Router {
  const serverAdapter = new ExpressAdapter();
  serverAdapter.setBasePath(QUEUE_BOARD_PATH);
  createBullBoard({
    queues: queues.map((q) => new BullMQAdapter(q, { readOnlyMode: !actions, allowRetries: actions })),
    serverAdapter,
    options: {
      uiConfig: {
        boardTitle: 'SimpleCM queues',
        miscLinks: [{ text: 'Run history', url: '/' }],
        hideDocsLink: true,
      },
    },
  });
  return serverAdapter.getRouter() as Router;
}
