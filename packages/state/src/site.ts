import type { Node } from 'yaml';
import type { SourcePosition, StateProblem } from './problem';
import { checkFields, entry, mapEntries, seqItems, stringList, type YamlSource } from './yaml-source';

/**
 * The assignment (`site.yaml`): an ordered list of plays. Each host gets, in order, the roles of
 * every play whose `hosts` (a group or host name, or a list of them) includes it.
 *
 *     - hosts: all
 *       roles: [base]
 *     - hosts: web
 *       roles: [nginx]
 */
export interface Play {
  readonly at: SourcePosition;
  readonly targets: readonly string[];
  readonly targetsAt: SourcePosition;
  readonly roles: readonly string[];
  readonly rolesAt: SourcePosition;
}

export function readSite(src: YamlSource, problems: StateProblem[]): Play[] {
  const plays: Play[] = [];
  for (const node of seqItems(src, src.root, 'site', problems) ?? []) {
    const entries = mapEntries(src, node, 'a play', problems);
    if (entries === undefined) continue;
    checkFields(src, entries, ['hosts', 'roles'], 'play', problems);
    const hosts = entry(entries, 'hosts');
    const roles = entry(entries, 'roles');
    if (hosts === undefined) problems.push({ ...src.at(node), message: 'play: "hosts" is required' });
    const targets = hosts && stringList(src, hosts.value, 'hosts', problems);
    const roleNames = (roles && stringList(src, roles.value, 'roles', problems)) ?? [];
    if (targets === undefined) continue;
    plays.push({
      at: src.at(node as Node),
      targets,
      targetsAt: src.at(hosts?.value),
      roles: roleNames,
      rolesAt: src.at(roles?.value ?? node),
    });
  }
  return plays;
}
