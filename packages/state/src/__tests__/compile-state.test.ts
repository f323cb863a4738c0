import { compileFiles, inventory } from './fixture';

const site = `- hosts: web
  roles: [web]
`;

function withRole(role: string, extra: Record<string, string> = {}) {
  return compileFiles({ 'inventory.yaml': inventory, 'site.yaml': site, 'roles/web.yaml': role, ...extra });
}

describe('compileState', () => {
  it('compiles hosts, groups, vars by precedence and ordered operations', () => {
    const { state, problems } = withRole(
      `- name: config
  module: file_content
  attributes: { path: /etc/app.conf, content: "port={{ vars.port }} site={{vars.site}} on {{ vars.hostname }}" }
  tags: [b, a]
- name: reload
  module: command
  attributes: { command: systemctl reload app }
  when_changed: [config]
  become: root
`,
    );
    expect(problems).toEqual([]);
    expect(state.hosts.map((h) => h.host.hostname)).toEqual(['db1', 'web1', 'web2']);
    const [db1, web1, web2] = state.hosts;
    expect(db1!.operations).toEqual([]);
    expect(db1!.host).toEqual({ hostname: 'db1', address: '10.0.0.3', port: 22, user: 'root', keyName: 'fleet', groups: ['all', 'db'], vars: {}, hostKeys: [], become: null });
    expect(web1!.host.vars).toEqual({ port: '8080', site: 'www' });
    expect(web1!.operations).toEqual([
      { seq: 0, name: 'config', module: 'file_content', attributes: { path: '/etc/app.conf', content: 'port=8080 site=www on web1' }, become: null, tags: ['a', 'b'] },
      { seq: 1, name: 'reload', module: 'command', attributes: { command: 'systemctl reload app' }, become: 'root', whenChanged: ['config'] },
    ]);
    expect(web2!.operations[0]!.attributes.content).toBe('port=80 site=www on web2');
  });

  it('applies child group vars over their parents, host vars over both', () => {
    const { state, problems } = compileFiles({
      'inventory.yaml': `defaults: { key: k }
hosts:
  a: { groups: [canary], vars: { x: host } }
  b: { groups: [canary] }
  c: { groups: [web] }
groups:
  all: { vars: { x: all, y: all } }
  canary: { vars: { x: canary } }
  web: { vars: { x: web, z: web }, children: [canary] }
`,
    });
    expect(problems).toEqual([]);
    const vars = Object.fromEntries(state.hosts.map((h) => [h.host.hostname, h.host.vars]));
    expect(vars).toEqual({ a: { x: 'host', y: 'all', z: 'web' }, b: { x: 'canary', y: 'all', z: 'web' }, c: { x: 'web', y: 'all', z: 'web' } });
    expect(state.hosts[0]!.host.groups).toEqual(['all', 'canary', 'web']);
  });

  it('reads file sources and renders templates with the host vars', () => {
    const { state, problems } = withRole(
      `- name: page
  module: file_content
  attributes: { path: /srv/index.html, source: files/index.html }
- name: conf
  module: file_content
  attributes: { path: /etc/app.conf, template: templates/app.conf }
`,
      { 'files/index.html': 'hello {{ vars.port }}\n', 'templates/app.conf': 'listen {{ vars.port }};\n\\{{ vars.port }}\n' },
    );
    expect(problems).toEqual([]);
    const web1 = state.hosts.find((h) => h.host.hostname === 'web1')!;
    expect(web1.operations.map((o) => o.attributes.content)).toEqual(['hello {{ vars.port }}\n', 'listen 8080;\n{{ vars.port }}\n']);
  });

  it('turns notify into when_changed on the later operation', () => {
    const { state, problems } = withRole(
      `- name: config
  module: file_exists
  attributes: { path: /etc/a }
  notify: [reload]
- name: reload
  module: command
  attributes: { command: "true" }
`,
    );
    expect(problems).toEqual([]);
    expect(state.hosts[1]!.operations[1]!.whenChanged).toEqual(['config']);
  });

  it('accepts an inventory split into inventory/*.yaml', () => {
    const { state, problems } = compileFiles({
      'inventory/a.yaml': 'hosts:\n  h1: { key: k }\n',
      'inventory/b.yaml': 'hosts:\n  h2: { key: k, port: 2222, user: deploy, become: root }\n',
    });
    expect(problems).toEqual([]);
    expect(state.hosts.map((h) => [h.host.hostname, h.host.port, h.host.user, h.host.become])).toEqual([
      ['h1', 22, 'root', null],
      ['h2', 2222, 'deploy', 'root'],
    ]);
  });
});

describe('compileState problems (file:line:column: message)', () => {
  it('malformed YAML', () => {
    const { lines } = withRole('- name: x\n  module: [unclosed\n');
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/^roles\/web\.yaml:\d+:\d+: malformed YAML: /);
  });

  it('an unknown module', () => {
    const { lines } = withRole('- name: x\n  module: nope\n');
    expect(lines).toEqual([expect.stringMatching(/^roles\/web\.yaml:2:11: unknown module "nope" \(known: .*command.*\)$/)]);
  });

  it('a bad attribute, at the attribute', () => {
    const { lines } = withRole('- name: x\n  module: file_exists\n  attributes:\n    path: relative/file\n');
    expect(lines).toEqual([expect.stringMatching(/^roles\/web\.yaml:4:11: operation "x": attribute "path": .* \(hosts web1, web2\)$/)]);
  });

  it('an unknown attribute', () => {
    const { lines } = withRole('- name: x\n  module: file_exists\n  attributes: { path: /a, colour: red }\n');
    expect(lines).toEqual([expect.stringMatching(/^roles\/web\.yaml:3:\d+: operation "x": attribute "colour": unknown attribute/)]);
  });

  it('an undefined variable names file, line, column and variable', () => {
    const { lines } = withRole('- name: x\n  module: file_exists\n  attributes:\n    path: "/srv/{{ vars.nope }}"\n');
    expect(lines).toEqual(['roles/web.yaml:4:17: undefined variable "nope" (hosts web1, web2)']);
  });

  it('points at the reference inside a plain or quoted value, the second of two alike included', () => {
    const { lines } = withRole("- name: x\n  module: command\n  attributes: { command: 'echo {{ vars.a }} {{ vars.port }} {{ vars.a }}' }\n");
    expect(lines).toEqual(['roles/web.yaml:3:32: undefined variable "a" (hosts web1, web2)', 'roles/web.yaml:3:61: undefined variable "a" (hosts web1, web2)']);
  });

  it('an undefined variable in a template, at its place in the template', () => {
    const { lines } = withRole('- name: x\n  module: file_content\n  attributes: { path: /a, template: templates/t }\n', { 'templates/t': 'line one\n  {{ vars.missing }}\n' });
    expect(lines).toEqual(['templates/t:2:3: undefined variable "missing" (hosts web1, web2)']);
  });

  it('a handler naming a later operation, or an unknown one', () => {
    const { lines } = withRole(
      `- name: a
  module: command
  attributes: { command: "true" }
  when_changed: [b]
- name: b
  module: command
  attributes: { command: "true" }
  when_changed: [ghost]
`,
    );
    expect(lines).toEqual([
      'roles/web.yaml:4:17: when_changed: "b" does not come before this operation (a handler watches earlier operations) (hosts web1, web2)',
      'roles/web.yaml:8:17: when_changed: no operation "ghost" on this host (hosts web1, web2)',
    ]);
  });

  it('a host defined twice, in two files', () => {
    const { lines } = compileFiles({ 'inventory/a.yaml': 'hosts:\n  h1: { key: k }\n', 'inventory/b.yaml': 'hosts:\n  h2: { key: k }\n  h1: { key: k }\n' });
    expect(lines).toEqual(['inventory/b.yaml:3:3: host "h1" is defined twice (also at inventory/a.yaml:2:3)']);
  });

  it('a host defined twice in one file', () => {
    const { lines } = compileFiles({ 'inventory.yaml': 'hosts:\n  h1: { key: k }\n  h1: { key: j }\n' });
    expect(lines).toEqual([expect.stringMatching(/^inventory\.yaml:3:3: malformed YAML: .*unique/i)]);
  });

  it('a missing file source', () => {
    const { lines } = withRole('- name: x\n  module: file_content\n  attributes: { path: /a, source: files/missing.conf }\n');
    expect(lines).toEqual(['roles/web.yaml:3:35: attribute "source": file "files/missing.conf" not found in the state directory (hosts web1, web2)']);
  });

  it('a file source outside files/', () => {
    const { lines } = withRole('- name: x\n  module: file_content\n  attributes: { path: /a, source: files/../inventory.yaml }\n');
    expect(lines[0]).toMatch(/must be a path under files\//);
  });

  it('an unknown group or role in an assignment', () => {
    const { lines } = compileFiles({ 'inventory.yaml': inventory, 'site.yaml': '- hosts: [web, nowhere]\n  roles: [ghost]\n' });
    expect(lines).toEqual(['site.yaml:1:10: hosts: "nowhere" is neither a group nor a host of the inventory', 'site.yaml:2:10: roles: no role "ghost" (expected roles/ghost.yaml)']);
  });

  it('a host named like a group (a play\'s hosts would mean both)', () => {
    const { lines } = compileFiles({ 'inventory.yaml': 'hosts:\n  a: { key: k, groups: [db] }\n  db: { key: k }\n', 'site.yaml': '[]\n' });
    expect(lines).toEqual(['inventory.yaml:3:3: host "db" has the name of a group, so a play\'s hosts: "db" would mean both; rename one of them']);
  });

  it('duplicate operation names within a host (two roles)', () => {
    const op = '- name: same\n  module: file_exists\n  attributes: { path: /a }\n';
    const { lines } = compileFiles({ 'inventory.yaml': inventory, 'site.yaml': '- hosts: web\n  roles: [a, b]\n', 'roles/a.yaml': op, 'roles/b.yaml': op });
    expect(lines).toEqual(['roles/b.yaml:1:3: duplicate operation name "same" for a host (also at roles/a.yaml:1:3) (hosts web1, web2)']);
  });

  it('duplicate operation names within a role', () => {
    const op = '- name: same\n  module: file_exists\n  attributes: { path: /a }\n';
    const { lines } = withRole(op + op);
    expect(lines).toEqual(['roles/web.yaml:4:3: duplicate operation name "same" in role "web" (also at line 1)']);
  });

  it('bad host fields and unknown fields', () => {
    const { lines } = compileFiles({ 'inventory.yaml': 'hosts:\n  h1: { key: k, port: 99999, colour: red }\n  h2: { port: 22 }\n' });
    expect(lines).toEqual([
      expect.stringMatching(/^inventory\.yaml:2:23: host "h1": port: /),
      expect.stringMatching(/^inventory\.yaml:2:30: host "h1": unknown field "colour"/),
      expect.stringMatching(/^inventory\.yaml:3:3: host "h2": key: /),
    ]);
  });

  it('a tag that is not a tag name', () => {
    const { lines } = withRole('- name: x\n  module: file_exists\n  attributes: { path: /a }\n  tags: [ok, "not ok"]\n');
    expect(lines).toEqual(['roles/web.yaml:4:9: tags: "not ok" is not a tag (letters, digits, dots, dashes, underscores, as group names)']);
  });

  it('what the domain refuses in an operation, such as too many tags', () => {
    const tags = Array.from({ length: 101 }, (_, i) => `t${i}`).join(', ');
    const { lines } = withRole(`- name: x\n  module: file_exists\n  attributes: { path: /a }\n  tags: [${tags}]\n`);
    expect(lines).toEqual([expect.stringMatching(/^roles\/web\.yaml:1:3: operation "x": tags: .*100/)]);
  });

  it('a role in two files', () => {
    const { lines } = withRole('[]\n', { 'roles/web.yml': '[]\n' });
    expect(lines).toEqual(['roles/web.yml:1:1: role "web" is defined twice (also in roles/web.yaml)']);
  });

  it('a group cycle', () => {
    const { lines } = compileFiles({ 'inventory.yaml': 'hosts: {}\ngroups:\n  a: { children: [b] }\n  b: { children: [a] }\n' });
    expect(lines).toEqual(['inventory.yaml:3:3: group "a" is its own descendant: a → b → a']);
  });

  it('no inventory at all', () => {
    const { lines } = compileFiles({ 'site.yaml': '[]\n' });
    expect(lines).toEqual(['inventory.yaml:1:1: no inventory: write inventory.yaml or inventory/*.yaml']);
  });

  it('lists every problem, not only the first', () => {
    const { lines } = compileFiles({
      'inventory.yaml': inventory,
      'site.yaml': site,
      'roles/web.yaml': '- name: a\n  module: nope\n- name: b\n  module: file_exists\n  attributes: { path: "{{ vars.x }}" }\n',
      'roles/bad.yaml': '- [\n',
    });
    expect(lines.length).toBe(3);
  });
});
