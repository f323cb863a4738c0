import { ConfigError } from '@simplecm/config';
import { BUNDLED_MODULES_DIR, loadModules } from '@simplecm/modules';
import { adhocOperation, parseAdhocAttributes, splitKeyValues } from '../adhoc-operation';
import { compileExecOptions } from '../exec-options';

const registry = loadModules(BUNDLED_MODULES_DIR);
const specsOf = (name: string) => registry.modules.get(name)!.attributes;

describe('splitKeyValues', () => {
  it('splits words as a shell would and each at its first =', () => {
    expect(splitKeyValues(`path=/etc/motd text='a b' x="say \\"hi\\"" y=a=b z=a\\ b`)).toEqual([
      ['path', '/etc/motd'],
      ['text', 'a b'],
      ['x', 'say "hi"'],
      ['y', 'a=b'],
      ['z', 'a b'],
    ]);
    expect(splitKeyValues('  ')).toEqual([]);
  });

  it('refuses a word without a name and unterminated quotes', () => {
    expect(() => splitKeyValues('path=/x hello')).toThrow(/"hello" is not name=value/);
    expect(() => splitKeyValues('=x')).toThrow(ConfigError);
    expect(() => splitKeyValues("text='open")).toThrow(/unterminated '/);
    expect(() => splitKeyValues('text="open')).toThrow(/unterminated "/);
  });
});

describe('parseAdhocAttributes', () => {
  it('types values by the module: bool, list; JSON as given', () => {
    expect(parseAdhocAttributes('path=/x text=y follow=yes', specsOf('file_contains'))).toEqual({ path: '/x', text: 'y', follow: true });
    expect(parseAdhocAttributes('{"path": "/x", "text": "y", "follow": false}', specsOf('file_contains'))).toEqual({ path: '/x', text: 'y', follow: false });
    expect(() => parseAdhocAttributes('{"path": {"a": 1}}', specsOf('file_contains'))).toThrow(/attribute "path": must be a string/);
    expect(() => parseAdhocAttributes('{"path": ', specsOf('file_contains'))).toThrow(/not valid JSON/);
    expect(() => parseAdhocAttributes('path=/x path=/y', specsOf('file_contains'))).toThrow(/"path" is given twice/);
  });

  it("takes free-form text as command's shell code, unless it starts with one of its attributes", () => {
    expect(parseAdhocAttributes('echo a=b; uptime', specsOf('command'))).toEqual({ command: 'echo a=b; uptime' });
    expect(parseAdhocAttributes("command='echo hi' creates=/tmp/x", specsOf('command'))).toEqual({ command: 'echo hi', creates: '/tmp/x' });
  });
});

describe('adhocOperation', () => {
  it('checks the operation against its module, with defaults applied', () => {
    const op = adhocOperation(registry, { module: 'file_contains', args: 'path=/etc/motd text=hi', become: undefined });
    expect(op).toMatchObject({ seq: 0, module: 'file_contains', attributes: { path: '/etc/motd', text: 'hi' } });
    expect(op.become).toBeUndefined();
    expect(adhocOperation(registry, { module: 'command', args: 'id -un', become: 'postgres' })).toMatchObject({ attributes: { command: 'id -un' }, become: 'postgres' });
  });

  it('names the field at fault: an unknown module, a bad or unknown or missing attribute', () => {
    expect(() => adhocOperation(registry, { module: 'nosuch', args: '', become: undefined })).toThrow(/-m \/ --module: unknown module "nosuch" \(known: .*file_content/);
    expect(() => adhocOperation(registry, { module: 'file_contains', args: 'path=relative text=x', become: undefined })).toThrow(/attribute "path": must be an absolute path/);
    expect(() => adhocOperation(registry, { module: 'file_contains', args: 'path=/x text=x colour=red', become: undefined })).toThrow(/attribute "colour": unknown attribute/);
    expect(() => adhocOperation(registry, { module: 'file_contains', args: 'path=/x', become: undefined })).toThrow(/attribute "text"/);
  });
});

describe('compileExecOptions', () => {
  const env = { SIMPLECM_JOB_SIGNING_KEY: '/keys/job.pem', SIMPLECM_SEAL_PUBLIC_KEY: '/keys/seal.pem' };
  it('reads -m and -a as --module and --args, mode adhoc, waits by default', () => {
    const c = compileExecOptions(['--limit', 'web:!host3', '-m', 'command', '-a', 'uptime'], env);
    expect(c).toMatchObject({ target: { kind: 'pattern', pattern: 'web:!host3' }, adhoc: { module: 'command', args: 'uptime' }, run: { mode: 'adhoc' }, wait: true });
    expect(compileExecOptions(['--limit', 'all', '--module', 'command', '--no-wait', '--become', 'postgres'], env)).toMatchObject({ target: { kind: 'all' }, wait: false, adhoc: { become: 'postgres' } });
    expect(() => compileExecOptions(['--limit', 'all', '-m', 'command', '--become', 'Root!'], env)).toThrow(/--become/);
  });

  it('requires --limit and -m', () => {
    expect(() => compileExecOptions(['-m', 'command'], env)).toThrow(/--limit/);
    expect(() => compileExecOptions(['--limit', 'web'], env)).toThrow(/-m \/ --module/);
    expect(() => compileExecOptions(['--limit', 'web', '-m', 'Bad-Name'], env)).toThrow(/--module/);
  });
});
