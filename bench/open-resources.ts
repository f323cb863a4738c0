import { closeAll } from '@simplecm/kernel';

/** Everything the bench has open, so an interrupted run (SIGINT, SIGTERM) can still clean up. */
const open = new Set<{ close(): Promise<void> }>();

/** Registers a resource; call the returned function once it is closed. */
export function trackResource(resource: { close(): Promise<void> }): () => void {
  open.add(resource);
  return () => {
    open.delete(resource);
  };
}

/** Closes whatever is still open, newest first; never throws. */
export async function closeOpenResources(): Promise<void> {
  const resources = [...open];
  open.clear();
  await closeAll(resources.map((r) => () => r.close())).catch(() => undefined);
}
