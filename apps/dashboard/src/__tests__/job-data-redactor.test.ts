import { attributeSpecSchema, type ModuleRegistry } from '@simplecm/modules';
import { hostJobDataRedactor } from '../job-data-redactor';

const spec = (extra: object) => attributeSpecSchema.parse({ type: 'string', description: 'x', ...extra });
const registry = {
  dir: '/nowhere',
  modules: new Map([['db_user', { attributes: { name: spec({}), password: spec({ sensitive: true }), keys: spec({ type: 'list', sensitive: true }) } }]]),
} as unknown as ModuleRegistry;

describe("Bull Board's view of a host job", () => {
  const redact = hostJobDataRedactor(registry);

  it('shows each sensitive attribute as ***, list items one by one, the rest as it is', () => {
    const data = {
      runId: 'r',
      operations: [
        { seq: 0, name: 'db', module: 'db_user', attributes: { name: 'alice', password: 's3cret-value', keys: ['k1', 'k2'] } },
        { seq: 1, name: 'motd', module: 'file_contains', attributes: { line: 's3cret-value is not sensitive here' } },
      ],
      signature: { keyId: '0123456789abcdef', value: 'sig' },
    };
    const shown = redact(data) as typeof data;
    expect(shown.operations[0]!.attributes).toEqual({ name: 'alice', password: '***', keys: ['***', '***'] });
    expect(shown.operations[1]).toBe(data.operations[1]);
    expect(shown.signature).toEqual(data.signature);
    expect(JSON.stringify(shown)).not.toContain('k1');
    // The job itself is untouched: the worker needs the values.
    expect(data.operations[0]!.attributes.password).toBe('s3cret-value');
  });

  it('shows a job as it travels (payload string and signature) with its payload parsed, sensitive places as ***', () => {
    const payload = { runId: 'r', operations: [{ seq: 0, name: 'db', module: 'db_user', attributes: { name: 'alice', password: '', keys: ['', ''] } }], sealed: { keyId: '0123456789abcdef' } };
    const shown = redact({ payload: JSON.stringify(payload), signature: { keyId: '0123456789abcdef', value: 'sig' } }) as typeof payload & { signature: unknown };
    expect(shown.operations[0]!.attributes).toEqual({ name: 'alice', password: '***', keys: ['***', '***'] });
    expect(shown.signature).toEqual({ keyId: '0123456789abcdef', value: 'sig' });
    expect(redact({ payload: 'not json', mac: 'm' })).toEqual({ payload: 'not json', mac: 'm' });
  });

  it('shows what is not a host job as it is', () => {
    const result = { result: { hostname: 'h', operations: [] }, mac: 'x' };
    expect(redact(result)).toBe(result);
    expect(redact(null)).toBeNull();
    expect(redact({ operations: [42, { module: 'db_user' }] })).toEqual({ operations: [42, { module: 'db_user' }] });
  });
});
