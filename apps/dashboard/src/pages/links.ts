import type { HostStatus } from '@simplecm/domain';

/** The runs list's filters as they travel in its query string. */
export interface RunsFilter {
  readonly status?: string;
  readonly mode?: string;
  readonly target?: string;
  readonly who?: string;
  /** `YYYY-MM-DD`, inclusive, UTC. */
  readonly from?: string;
  readonly to?: string;
}

function query(params: Record<string, string | number | undefined>): string {
  const qs = new URLSearchParams();
  for (const [k, v] of Object.entries(params)) if (v !== undefined && v !== '') qs.set(k, String(v));
  const text = qs.toString();
  return text ? `?${text}` : '';
}

/**
 * URLs of the dashboard's pages under its base path (`''` or `/simplecm`); every path segment
 * and query value is encoded here.
 */
export function createLinks(basePath: string) {
  const b = basePath;
  return {
    base: b,
    home: `${b}/`,
    runs: (before?: string, filter: RunsFilter = {}) => `${b}/${query({ ...filter, before })}`,
    run: (runId: string, q: { status?: HostStatus; name?: string; page?: string; n?: number; size?: number } = {}) =>
      `${b}/runs/${encodeURIComponent(runId)}${query({ status: q.status, name: q.name, size: q.size, page: q.page, n: q.n && q.n > 1 ? q.n : undefined })}`,
    runHost: (runId: string, hostname: string, seq?: number) =>
      `${b}/runs/${encodeURIComponent(runId)}/hosts/${encodeURIComponent(hostname)}${seq === undefined ? '' : `#op-${seq}`}`,
    host: (hostname: string, q: { page?: string; n?: number } = {}) =>
      `${b}/hosts/${encodeURIComponent(hostname)}${query({ page: q.page, n: q.n && q.n > 1 ? q.n : undefined })}`,
    hostSearch: `${b}/hosts`,
    drift: (q: { name?: string } = {}) => `${b}/drift${query({ name: q.name })}`,
    queues: `${b}/queues`,
    audit: (before?: string) => `${b}/audit${query({ before })}`,
    launch: `${b}/launch`,
    relaunch: (runId: string) => `${b}/runs/${encodeURIComponent(runId)}/relaunch`,
    cancel: (runId: string) => `${b}/runs/${encodeURIComponent(runId)}/cancel`,
    login: `${b}/login`,
    logout: `${b}/logout`,
    api: (runId: string) => `${b}/api/runs/${encodeURIComponent(runId)}`,
  } as const;
}
export type Links = ReturnType<typeof createLinks>;
