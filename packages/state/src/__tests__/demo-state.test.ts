import path from 'node:path';
import { compileState, exportState, readStateDir } from '..';
import { modules } from './fixture';

const demoDir = path.resolve(__dirname, '..', '..', '..', '..', 'examples', 'demo-state');

describe('examples/demo-state', () => {
  const compiled = compileState(readStateDir(demoDir), modules());

  it('is valid: the seed fleet plus the web role', () => {
    expect(compiled.problems).toEqual([]);
    expect(compiled.state.hosts.map((h) => [h.host.hostname, h.host.address, h.operations.length])).toEqual([
      ['host1', '127.10.0.1', 7],
      ['host2', '127.10.0.2', 7],
      ['host3', '127.10.0.3', 7],
      ['host4', '127.10.0.4', 7],
      ['host5', '127.10.0.5', 3],
    ]);
    const host5 = compiled.state.hosts[4]!;
    expect(host5.operations[1]).toMatchObject({ name: 'motd in a missing directory', attributes: { path: '/nonexistent/motd' } });
    const web = compiled.state.hosts[0]!.operations.slice(4);
    expect(web.map((o) => o.name)).toEqual(['web config', 'web index page', 'reload web service']);
    expect(web[0]!.attributes.content).toContain('server_name host1;');
  });

  it('survives export: its exported files compile to the same desired state', () => {
    expect(compileState(exportState(compiled.state), modules())).toEqual(compiled);
  });
});
