import type { Redis } from 'ioredis';
import { emptyCounts, type HostStatus, type OutcomeCounts, operationStatuses, troubledHostStatuses } from '@simplecm/domain';
import { redisScript } from './redis-script';

/** Live progress of a run, kept in Redis by the results consumer, read by `enqueue --wait`. */
export interface RunProgressSnapshot {
  readonly hostsDone: number;
  readonly hostsFailed: number;
  readonly counts: OutcomeCounts;
}

/** One host to count: its outcome and its operations' counts. */
export interface HostProgress {
  readonly hostname: string;
  readonly status: HostStatus;
  readonly counts: OutcomeCounts;
}

const TTL_SECONDS = 7 * 24 * 3600;
/** The progress keys' expiry is renewed each time this many more hosts are done. */
const EXPIRY_EVERY_HOSTS = 32;

// Adds each host to the run's done set; only a host seen for the first time adds its counts,
// so a redelivered result cannot count twice. The done set and the counts move together in one
// script (one slot on a cluster). ARGV: the number m of count fields, the m field names, then
// per host: hostname, host status, m values. The counts of the hosts counted now are summed
// first and each field that moved is incremented once per call, not once per host (a group of
// g hosts costs g SADDs and a few HINCRBYs, not g × 4 commands). Both keys expire TTL_SECONDS
// after they were made, renewed each time the done set passes a multiple of EXPIRY_EVERY_HOSTS
// (not at every call: a group of a few hosts would pay two EXPIREs). Returns a 0/1 per host
// (1 = counted now), the new number of hosts done and the counts hash.
const RECORD_SCRIPT = `
local m = tonumber(ARGV[1])
local stride = m + 2
local added = {}
local sums = {}
local counted = 0
local fields = {}
local function add(field, v)
  if sums[field] == nil then
    sums[field] = 0
    fields[#fields + 1] = field
  end
  sums[field] = sums[field] + v
end
for i = m + 2, #ARGV, stride do
  local a = redis.call('SADD', KEYS[1], ARGV[i])
  added[#added + 1] = a
  if a == 1 then
    counted = counted + 1
    for j = 1, m do
      local v = tonumber(ARGV[i + 1 + j])
      if v ~= 0 then add(ARGV[1 + j], v) end
    end
    add('host:' .. ARGV[i + 1], 1)
  end
end
for _, field in ipairs(fields) do redis.call('HINCRBY', KEYS[2], field, sums[field]) end
local done = redis.call('SCARD', KEYS[1])
local before = done - counted
if counted > 0 and (before == 0 or math.floor(before / ${EXPIRY_EVERY_HOSTS}) < math.floor(done / ${EXPIRY_EVERY_HOSTS})) then
  redis.call('EXPIRE', KEYS[1], ${TTL_SECONDS})
  redis.call('EXPIRE', KEYS[2], ${TTL_SECONDS})
end
return {added, done, redis.call('HGETALL', KEYS[2])}
`;
const recordScript = redisScript(RECORD_SCRIPT);

/** The set of a run's hosts the results consumer has counted (each once, whatever its deliveries). */
export function runDoneKey(prefix: string, runId: string): string {
  return `${prefix}:run:${runId}:done`;
}

function keys(prefix: string, runId: string): [string, string] {
  return [runDoneKey(prefix, runId), `${prefix}:run:${runId}:counts`];
}

function snapshotFrom(done: number, flat: string[]): RunProgressSnapshot {
  const counts = emptyCounts();
  let hostsFailed = 0;
  for (let i = 0; i + 1 < flat.length; i += 2) {
    const field = flat[i] as string;
    const value = Number(flat[i + 1]);
    if ((operationStatuses as readonly string[]).includes(field)) counts[field as keyof OutcomeCounts] = value;
    if (field.startsWith('host:') && (troubledHostStatuses as readonly string[]).includes(field.slice(5))) hostsFailed += value;
  }
  return { hostsDone: done, hostsFailed, counts };
}

/**
 * Counts several hosts of one run in one round trip (the results consumer writes results in
 * groups). `firstTime[i]` says whether `hosts[i]` was counted by this call.
 */
export async function recordHostsProgress(
  redis: Redis,
  prefix: string,
  runId: string,
  hosts: readonly HostProgress[],
): Promise<{ firstTime: boolean[]; snapshot: RunProgressSnapshot }> {
  const args: string[] = [String(operationStatuses.length), ...operationStatuses];
  for (const h of hosts) {
    args.push(h.hostname, h.status);
    for (const s of operationStatuses) args.push(String(h.counts[s]));
  }
  const reply = await recordScript.run(redis, keys(prefix, runId), args);
  const [added, done, flat] = reply as [number[], number, string[]];
  return { firstTime: added.map((a) => a === 1), snapshot: snapshotFrom(done, flat) };
}

export async function recordHostProgress(
  redis: Redis,
  prefix: string,
  runId: string,
  hostname: string,
  hostStatus: HostStatus,
  counts: OutcomeCounts,
): Promise<{ firstTime: boolean; snapshot: RunProgressSnapshot }> {
  const { firstTime, snapshot } = await recordHostsProgress(redis, prefix, runId, [{ hostname, status: hostStatus, counts }]);
  return { firstTime: firstTime[0] === true, snapshot };
}

/**
 * The run's progress under `prefix`, or summed over several prefixes: with queue partitions
 * (queue-partitions.ts) each partition keeps the progress of its own hosts, and a reader adds
 * the partitions' snapshots (one SCARD + HGETALL per partition, each in its own slot).
 */
export async function readRunProgress(redis: Redis, prefix: string | readonly string[], runId: string): Promise<RunProgressSnapshot> {
  const snapshots = await Promise.all(
    (typeof prefix === 'string' ? [prefix] : prefix).map(async (p) => {
      const [doneKey, countsKey] = keys(p, runId);
      const [done, flat] = await Promise.all([redis.scard(doneKey), redis.hgetall(countsKey)]);
      return snapshotFrom(done, Object.entries(flat).flat());
    }),
  );
  return snapshots.reduce(addSnapshots, { hostsDone: 0, hostsFailed: 0, counts: emptyCounts() });
}

/** The sum of two partitions' snapshots of one run (each host is in one partition only). */
export function addSnapshots(a: RunProgressSnapshot, b: RunProgressSnapshot): RunProgressSnapshot {
  const counts = emptyCounts();
  for (const s of operationStatuses) counts[s] = a.counts[s] + b.counts[s];
  return { hostsDone: a.hostsDone + b.hostsDone, hostsFailed: a.hostsFailed + b.hostsFailed, counts };
}
