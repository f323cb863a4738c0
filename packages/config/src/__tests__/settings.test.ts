import { z } from 'zod';
import { ConfigError } from '../errors';
import { intSetting, listSetting, readSettings, resolveSettings, switchSetting, textSetting, type SettingSpec } from '../settings';

interface SampleOptions {
  size?: number;
  name?: string;
  verbose?: boolean;
  hosts?: string[];
  secret?: string;
}

const spec: SettingSpec<SampleOptions> = {
  size: intSetting({ flag: 'size', env: 'SAMPLE_SIZE' }, 1, 10),
  name: textSetting({ flag: 'name' }, z.string().min(1)),
  verbose: switchSetting({ flag: 'verbose', env: 'SAMPLE_VERBOSE' }),
  hosts: listSetting({ flag: 'hosts' }, z.string().regex(/^[a-z0-9]+$/, 'a host name'), 'at least one host'),
  secret: textSetting({ env: 'SAMPLE_SECRET', required: true }, z.string({ error: 'required: no default' }).min(4, 'too short')),
};

const compile = (argv: string[], env: NodeJS.ProcessEnv) => resolveSettings(spec, { size: 5, verbose: false }, readSettings(argv, env, spec));

describe('settings', () => {
  it('takes defaults < environment < flags', () => {
    const env = { SAMPLE_SECRET: 'long enough', SAMPLE_SIZE: '7', SAMPLE_VERBOSE: 'true' };
    expect(compile([], { SAMPLE_SECRET: 'long enough' })).toEqual({ size: 5, verbose: false, secret: 'long enough' });
    expect(compile([], env)).toEqual({ size: 7, verbose: true, secret: 'long enough' });
    expect(compile(['--size', '2', '--hosts', 'a, b,', '--name', 'x'], env)).toEqual({ size: 2, verbose: true, secret: 'long enough', hosts: ['a', 'b'], name: 'x' });
  });

  it('names the flag or the variable at fault', () => {
    const env = { SAMPLE_SECRET: 'long enough' };
    expect(() => compile(['--size', '11'], env)).toThrow(/--size: /);
    expect(() => compile(['--hosts', 'A'], env)).toThrow(/--hosts: .*a host name/);
    expect(() => compile([], { ...env, SAMPLE_SIZE: 'ten' })).toThrow(/invalid environment:\nSAMPLE_SIZE: must be a whole number/);
    expect(() => compile(['--bogus'], env)).toThrow(ConfigError);
  });

  it('takes an empty variable for an unset one, and refuses a missing required setting by its variable', () => {
    expect(() => compile([], { SAMPLE_SECRET: '' })).toThrow(/^SAMPLE_SECRET: required: no default$/);
    expect(() => resolveSettings(spec, {}, { secret: 'abc' })).toThrow(/SAMPLE_SECRET: too short/);
    expect(() => resolveSettings(spec, {}, { secret: 'abcd', size: 0 })).toThrow(/--size \/ SAMPLE_SIZE: /);
  });
});
