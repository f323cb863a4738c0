import { coerceError } from '../coerce-error';
import { SimpleCmError } from '../simplecm-error';

class SampleError extends SimpleCmError<'sample'> {
  override readonly name = 'SampleError';
  readonly code = 'sample' as const;
}

describe('SimpleCmError', () => {
  it('carries a code, retryable (false by default) and a cause', () => {
    const cause = new Error('underneath');
    const error = new SampleError('it broke', { cause });
    expect(error).toBeInstanceOf(Error);
    expect(error).toMatchObject({ name: 'SampleError', code: 'sample', retryable: false, cause, message: 'it broke' });
    expect(new SampleError('again', { retryable: true }).retryable).toBe(true);
  });
});

describe('coerceError', () => {
  it('keeps an Error and wraps anything else', () => {
    const error = new Error('x');
    expect(coerceError(error)).toBe(error);
    expect(coerceError('plain').message).toBe('plain');
    expect(coerceError({ a: 1 }).message).toBe('{"a":1}');
    expect(coerceError(undefined).message).toBe('undefined');
  });
});

describe('coerceError across realms', () => {
  it('keeps the message of an error that fails instanceof Error', () => {
    const foreign = Object.create(null, { message: { value: 'from elsewhere' } }) as object;
    Object.defineProperty(foreign, Symbol.toStringTag, { value: 'Error' });
    expect(coerceError(foreign).message).toBe('from elsewhere');
  });
});
