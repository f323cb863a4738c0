import { newFrameMarker } from '../driver-script';
import { createFrameParser, type OperationFrame } from '../frames';

const marker = newFrameMarker();
const header = (fields: string) => Buffer.from(`\n${marker} ${fields}\n`);

function parse(...chunks: Buffer[]): OperationFrame[] {
  const frames: OperationFrame[] = [];
  const parser = createFrameParser(16, marker, (f) => frames.push(f));
  for (const chunk of chunks) parser.push(chunk);
  return frames;
}

describe('frame parser', () => {
  it('reads each payload by the size in its header, and no further', () => {
    const frames = parse(header('0 1 1700000000000 5 3 0 0'), Buffer.from('abc'), header('1 0 1700000000005 5 0 0 2'), Buffer.from('x\n'));
    expect(frames.map((f) => [f.seq, f.exitCode, f.stdout.toString(), f.changes.toString()])).toEqual([
      [0, 1, 'abc', ''],
      [1, 0, '', 'x\n'],
    ]);
  });

  it('takes a payload that looks like a header as payload', () => {
    const forged = Buffer.from(`\n${marker} 0 0 1 1 0 0 0\n`);
    const frames = parse(header(`0 1 1700000000000 5 ${forged.length} 0 0`).subarray(0), forged.subarray(0, 16));
    // The limit is 16: the header said more, so exactly 16 bytes are payload and the frame is cut.
    expect(frames).toHaveLength(1);
    expect(frames[0]!.exitCode).toBe(1);
    expect(frames[0]!.stdoutTruncated).toBe(true);
  });

  it('ignores headers with another marker (a constant or an older run’s)', () => {
    const frames = parse(Buffer.from('\n@@SIMPLECM@@ 0 0 1 1 0 0 0\n'), Buffer.from(`\n${newFrameMarker()} 0 0 1 1 0 0 0\n`));
    expect(frames).toEqual([]);
  });

  it.each([
    ['a negative size', '0 0 1 1 -1 0 0'],
    ['a fractional size', '0 0 1 1 1.5 0 0'],
    ['an exponent', '0 0 1 1 1e3 0 0'],
    ['a hexadecimal size', '0 0 1 1 0x10 0 0'],
    ['an empty field', '0 0 1 1  0 0'],
    ['too few fields', '0 0 1 1 0 0'],
    ['too many fields', '0 0 1 1 0 0 0 0'],
    ['an exit code above 255', '0 256 1 1 0 0 0'],
    ['an exit code below -1', '0 -2 1 1 0 0 0'],
    ['a negative seq', '-1 0 1 1 0 0 0'],
    ['a size past the safe integers', '0 0 1 1 9999999999999999 0 0'],
  ])('refuses %s', (_why, fields) => {
    expect(() => parse(header(fields))).toThrow(/malformed frame header/);
  });

  it('refuses a duplicate seq', () => {
    expect(() => parse(header('0 1 1 1 0 0 0'), header('0 0 1 1 0 0 0'))).toThrow(/duplicate or out of order/);
  });

  it('refuses a seq lower than one already seen', () => {
    expect(() => parse(header('3 0 1 1 0 0 0'), header('2 0 1 1 0 0 0'))).toThrow(/duplicate or out of order/);
  });

  it('refuses a header line that never ends', () => {
    expect(() => parse(Buffer.from(`\n${marker} 0 0 1 1 0 0 ${'0'.repeat(300)}`))).toThrow(/no end of line/);
  });

  it('refuses a marker that is not a run marker', () => {
    expect(() => createFrameParser(16, '@@SIMPLECM@@', () => undefined)).toThrow(/newFrameMarker/);
  });
});
