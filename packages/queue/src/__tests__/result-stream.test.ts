import { decodeResultEntry, encodeResultEntry, refusedResultsKey, resultStreamKey, runHandedKey } from '../result-stream';
import { resultJobId } from '../result-job';
import { resultSealer } from '../result-mac';

describe('result stream entries', () => {
  const sealer = resultSealer(Buffer.alloc(32, 7));
  const id = resultJobId('run-1', 'web1');

  it('decodes what it encodes, and the seal opens with the result id it carries', () => {
    const wire = sealer.seal(id, { result: { hostname: 'web1' }, mode: 'apply', hostCount: 1 });
    const entry = decodeResultEntry('1-0', encodeResultEntry(id, wire));
    expect(entry).toEqual({ entryId: '1-0', resultId: id, content: { resultId: id, wire } });
    if (typeof entry.content === 'string') throw new Error(entry.content);
    expect(sealer.open(entry.content.resultId, entry.content.wire)).toEqual({ data: { result: { hostname: 'web1' }, mode: 'apply', hostCount: 1 } });
    // Bound to its id: the same sealed result under another host's id does not open.
    expect(sealer.open(resultJobId('run-1', 'web2'), entry.content.wire)).toMatch(/bad MAC/);
  });

  it('says what is missing from an entry a worker did not make', () => {
    expect(decodeResultEntry('1-0', ['payload', '{}', 'mac', 'x']).content).toBe('entry without a result id');
    expect(decodeResultEntry('1-0', ['id', id, 'mac', 'x']).content).toBe('entry without a payload');
    expect(decodeResultEntry('1-0', ['id', id, 'payload', '{}'])).toEqual({ entryId: '1-0', resultId: id, content: 'entry without a MAC' });
    expect(decodeResultEntry('1-0', null).content).toBe('entry deleted before it was read');
    // A dangling field name is ignored, not read as a value.
    expect(decodeResultEntry('1-0', ['id', id, 'payload', '{}', 'mac']).content).toBe('entry without a MAC');
  });

  it('keys: under the partition prefix (one slot), apart from a BullMQ results queue', () => {
    expect(resultStreamKey('{p}:1')).toBe('{p}:1:result-stream');
    expect(refusedResultsKey('{p}:1')).toBe('{p}:1:result-stream:refused');
    expect(runHandedKey('{p}:1', 'r')).toBe('{p}:1:run:r:handed');
    expect(resultStreamKey('p').startsWith('p:results:')).toBe(false);
  });
});
