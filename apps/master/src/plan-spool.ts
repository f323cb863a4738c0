import fs from 'node:fs/promises';
import os from 'node:os';
import path from 'node:path';
import { StringDecoder } from 'node:string_decoder';
import type { Host, Operation } from '@simplecm/domain';
import type { PlannedHost } from './plan-run';

/**
 * Where pass one of `enqueue` puts the hosts it has validated, for pass two to enqueue: a
 * temporary file, one JSON line per host. Pass two then enqueues exactly what pass one checked
 * and counted — the inventory is read once, so a change to it during `enqueue` can no longer
 * make the jobs differ from the validated hosts or from the run's host count — and memory holds
 * one chunk, never the target. On disk: a few hundred bytes per host whose operations other
 * hosts share (they are written once, see below), up to the JSON of all its operations when no
 * host shares them.
 *
 * The file is unlinked as soon as it is opened: nothing else can open it, and the kernel frees
 * it when the process ends, however it ends (a SIGKILLed master leaves nothing behind).
 */
export interface PlanSpool {
  /** Appends a host; call `finish` after the last one. */
  write(host: PlannedHost): Promise<void>;
  /** Flushes what is buffered. Returns how many hosts the spool holds. */
  finish(): Promise<number>;
  /** The hosts in the order written, `batch` at a time. */
  read(batch: number): AsyncGenerator<PlannedHost[]>;
  /** Closes the file (it is already unlinked). Safe to call twice. */
  close(): Promise<void>;
}

/** Bytes gathered before a write, and read at a time. */
const CHUNK = 1 << 20;

/**
 * Hosts share operations (pass one hands every host the same checked object for the same
 * operation), so an operation is written in full once and then referred to by number: a line is
 * `[host, [op or number, …]]`, where an operation written in full takes the next number. Both
 * sides forget every number together (a `null` line) once this many are known or their JSON
 * passes DICTIONARY_CHARS, so memory stays bounded however many distinct operations there are.
 */
const DICTIONARY_SIZE = 10_000;
const DICTIONARY_CHARS = 16 * 1024 * 1024;

type SpoolLine = [Host, Array<Operation | number>] | null;

export async function createPlanSpool(dir: string = os.tmpdir()): Promise<PlanSpool> {
  const home = await fs.mkdtemp(path.join(dir, 'simplecm-enqueue-'));
  let file: fs.FileHandle;
  try {
    file = await fs.open(path.join(home, 'plan.jsonl'), 'wx+', 0o600);
  } finally {
    await fs.rm(home, { recursive: true, force: true });
  }
  let pending = '';
  let size = 0;
  let count = 0;
  let closed = false;
  let known = new Map<Operation, number>();
  let knownChars = 0;

  const flush = async () => {
    if (pending.length === 0) return;
    const bytes = Buffer.from(pending, 'utf8');
    pending = '';
    await file.write(bytes, 0, bytes.length, size);
    size += bytes.length;
  };

  return {
    async write({ host, operations }) {
      if (known.size + operations.length > DICTIONARY_SIZE || knownChars > DICTIONARY_CHARS) {
        pending += 'null\n';
        known = new Map();
        knownChars = 0;
      }
      const refs = operations.map((op) => {
        const id = known.get(op);
        if (id !== undefined) return String(id);
        const json = JSON.stringify(op);
        known.set(op, known.size);
        knownChars += json.length;
        return json;
      });
      // No line breaks inside: JSON escapes them in strings, so a line is a host.
      pending += `[${JSON.stringify(host)},[${refs.join(',')}]]\n`;
      count++;
      if (pending.length >= CHUNK) await flush();
    },
    async finish() {
      await flush();
      return count;
    },
    async *read(batch) {
      const decoder = new StringDecoder('utf8');
      const buffer = Buffer.allocUnsafe(CHUNK);
      let rest = '';
      let planned: PlannedHost[] = [];
      let dictionary: Operation[] = [];
      for (let position = 0; position < size; ) {
        const { bytesRead } = await file.read(buffer, 0, CHUNK, position);
        if (bytesRead === 0) throw new Error(`enqueue's plan file ended at byte ${position} of ${size}`);
        position += bytesRead;
        const lines = (rest + decoder.write(buffer.subarray(0, bytesRead))).split('\n');
        rest = lines.pop() ?? '';
        for (const line of lines) {
          // Written above by this process from validated hosts: not an edge, no schema to check.
          const parsed = JSON.parse(line) as SpoolLine;
          if (parsed === null) {
            dictionary = [];
            continue;
          }
          const [host, refs] = parsed;
          const operations = refs.map((ref) => {
            if (typeof ref !== 'number') return (dictionary.push(ref), ref);
            const op = dictionary[ref];
            if (op === undefined) throw new Error(`enqueue's plan file refers to operation ${ref}, not written`);
            return op;
          });
          planned.push({ host, operations });
          if (planned.length >= batch) {
            yield planned;
            planned = [];
          }
        }
      }
      if (rest + decoder.end() !== '') throw new Error("enqueue's plan file ends inside a line");
      if (planned.length > 0) yield planned;
    },
    async close() {
      if (closed) return;
      closed = true;
      await file.close();
    },
  };
}
