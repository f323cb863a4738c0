import fs from 'node:fs';

// Reading /proc: what a process runs, its children.

export function readProc(pid: number | string, file: string): string | undefined {
  try {
    return fs.readFileSync(`/proc/${pid}/${file}`, 'utf8');
  } catch {
    return undefined;
  }
}

export function firstChild(pid: number): number | undefined {
  const child = Number((readProc(pid, `task/${pid}/children`) ?? '').trim().split(/\s+/)[0]);
  return child > 0 ? child : undefined;
}

export function describePid(pid: number | undefined): string {
  if (pid === undefined) return 'unknown process';
  const cmd = (readProc(pid, 'cmdline') ?? '').split('\0').join(' ').trim();
  return `pid ${pid} (${cmd || '?'})`;
}
