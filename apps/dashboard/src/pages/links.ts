import type { HostStatus } from '@simplecm/domain';

/** URLs of the dashboard's pages; every path segment and query value is encoded here. */
export const links = {
  runs: (before?: string) => (before ? `/?${new URLSearchParams({ before })}` : '/'),
  run: (runId: string, query: { status?: HostStatus; page?: string; n?: number; size?: number } = {}) => {
    const params = new URLSearchParams();
    if (query.status) params.set('status', query.status);
    if (query.size) params.set('size', String(query.size));
    if (query.page) params.set('page', query.page);
    if (query.n && query.n > 1) params.set('n', String(query.n));
    const qs = params.toString();
    return `/runs/${encodeURIComponent(runId)}${qs ? `?${qs}` : ''}`;
  },
  runHost: (runId: string, hostname: string, seq?: number) =>
    `/runs/${encodeURIComponent(runId)}/hosts/${encodeURIComponent(hostname)}${seq === undefined ? '' : `#op-${seq}`}`,
  host: (hostname: string, query: { page?: string; n?: number } = {}) => {
    const params = new URLSearchParams();
    if (query.page) params.set('page', query.page);
    if (query.n && query.n > 1) params.set('n', String(query.n));
    const qs = params.toString();
    return `/hosts/${encodeURIComponent(hostname)}${qs ? `?${qs}` : ''}`;
  },
} as const;
