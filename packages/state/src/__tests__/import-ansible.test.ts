import { parse } from 'yaml';
import { compileState, expandHostPattern, importAnsibleInventory } from '..';
import { modules } from './fixture';

/** The imported inventory compiled as a state directory: the hosts as SimpleCM will have them. */
function compiledHosts(inventory: string) {
  const { state, problems } = compileState(new Map([['inventory.yaml', inventory]]), modules());
  expect(problems).toEqual([]);
  return Object.fromEntries(state.hosts.map((h) => [h.host.hostname, h.host]));
}

const ini = `# web tier
[web]
web[1:2].example.com ansible_user=deploy
web3.example.com ansible_host=10.0.0.3 ansible_port=2222 http_port=8080

[db]
db1 ansible_host=10.0.1.1 ansible_ssh_private_key_file=~/.ssh/db-key ansible_become=true

[prod:children]
web
db

[prod:vars]
env = production
ansible_user=ops

[web:vars]
http_port=80
`;

describe('importAnsibleInventory', () => {
  it('converts an INI inventory: groups, children, connection variables with precedence, vars', () => {
    const result = importAnsibleInventory('hosts.ini', ini);
    expect(result.hostCount).toBe(4);
    expect(result.warnings).toEqual([]);
    const hosts = compiledHosts(result.inventory);
    expect(hosts['web1.example.com']).toMatchObject({ address: 'web1.example.com', port: 22, user: 'deploy', keyName: 'id_ed25519', groups: ['all', 'prod', 'web'], vars: { env: 'production', http_port: '80' } });
    expect(hosts['web3.example.com']).toMatchObject({ address: '10.0.0.3', port: 2222, user: 'ops', vars: { env: 'production', http_port: '8080' } });
    expect(hosts.db1).toMatchObject({ address: '10.0.1.1', user: 'ops', keyName: 'db-key', become: 'root', groups: ['all', 'db', 'prod'], vars: { env: 'production' } });
    expect(parse(result.inventory).groups.prod).toEqual({ vars: { env: 'production' }, children: ['web', 'db'] });
  });

  it('converts a YAML inventory', () => {
    const yaml = `all:
  vars: { ntp: pool.ntp.org }
  hosts:
    lone: { ansible_host: 192.0.2.9 }
  children:
    web:
      hosts:
        w1: { ansible_port: 2200, role: front }
      vars: { ansible_user: www }
      children:
        canary:
          hosts: { w2: }
`;
    const result = importAnsibleInventory('inventory.yml', yaml, { defaultKey: 'fleet' });
    const hosts = compiledHosts(result.inventory);
    expect(hosts.lone).toMatchObject({ address: '192.0.2.9', user: 'root', keyName: 'fleet', groups: ['all'], vars: { ntp: 'pool.ntp.org' } });
    expect(hosts.w1).toMatchObject({ port: 2200, user: 'www', groups: ['all', 'web'], vars: { ntp: 'pool.ntp.org', role: 'front' } });
    expect(hosts.w2).toMatchObject({ user: 'www', groups: ['all', 'canary', 'web'] });
  });

  it('warns about what it drops', () => {
    const result = importAnsibleInventory('h.ini', '[x]\nh1 ansible_python_interpreter=/usr/bin/python3 bad-name=1\n');
    expect(result.warnings).toEqual([
      'host "h1": ansible_python_interpreter has no SimpleCM equivalent: dropped',
      'host "h1": variable "bad-name" is not a SimpleCM variable name (letters, digits, underscores): dropped',
    ]);
  });

  it('names the line of a malformed INI inventory', () => {
    expect(() => importAnsibleInventory('h.ini', '[web]\nh1 novalue\n[broken\n')).toThrow('line 2: expected key=value, got "novalue"');
  });
});

describe('expandHostPattern', () => {
  it('expands numeric ranges with their padding and letter ranges', () => {
    expect(expandHostPattern('web[08:10].x')).toEqual(['web08.x', 'web09.x', 'web10.x']);
    expect(expandHostPattern('db-[a:c]')).toEqual(['db-a', 'db-b', 'db-c']);
  });
});
