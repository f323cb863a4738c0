import type { Request } from 'express';
import type { AuditEntry } from '@simplecm/store';
import { errorMessage } from '@simplecm/kernel';
import { clientAddress } from './require-login';

/** The audit log as the dashboard writes it; `startDashboard` backs it with the Cassandra table. */
export interface AuditSink {
  record(entry: AuditEntry): Promise<unknown>;
}

/** Records an action taken through `req`; a failed write is logged, never lost silently, and does not fail the request. */
export type AuditAction = (req: Request, entry: { actor: string; action: string; subject?: string; outcome: 'ok' | 'refused' | 'failed'; detail?: string }) => Promise<void>;

export function auditAction(sink: AuditSink | undefined, log: (line: string) => void): AuditAction {
  return async (req, entry) => {
    if (!sink) return;
    const full: AuditEntry = { subject: '', detail: '', ...entry, address: clientAddress(req) };
    try {
      await sink.record(full);
    } catch (error) {
      log(`dashboard: audit log write failed (${errorMessage(error)}): ${JSON.stringify(full)}`);
    }
  };
}
