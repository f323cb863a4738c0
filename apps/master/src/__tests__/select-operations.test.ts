import type { Operation } from '@simplecm/domain';
import { handlerProblems } from '../check-handlers';
import { describeSelection, selectOperations } from '../select-operations';

const op = (seq: number, name: string, more: Partial<Operation> = {}): Operation => ({ seq, name, module: 'command', attributes: {}, ...more });

const ops: Operation[] = [
  op(0, 'pkg', { tags: ['install'] }),
  op(1, 'config', { tags: ['web', 'config'] }),
  op(2, 'unit', { tags: ['web', 'slow'] }),
  op(3, 'reload', { tags: ['web'], whenChanged: ['config', 'unit'] }),
  op(4, 'plain'),
  op(5, 'after reload', { tags: ['web'], whenChanged: ['reload'] }),
];
const names = (selected: readonly Operation[]) => selected.map((o) => (o.whenChanged ? `${o.name}<-${o.whenChanged.join('+')}` : o.name));

describe('selecting operations by tags', () => {
  it('keeps everything without a selection, as the same objects', () => {
    const all = selectOperations(ops, {});
    expect(all).toEqual(ops);
    expect(all.every((o, i) => o === ops[i])).toBe(true);
    expect(selectOperations(ops, { skipTags: [] })).toEqual(ops);
  });

  it('keeps operations having one of the tags, untagged ones left out', () => {
    expect(names(selectOperations(ops, { tags: ['web'] }))).toEqual(['config', 'unit', 'reload<-config+unit', 'after reload<-reload']);
    expect(names(selectOperations(ops, { tags: ['install', 'config'] }))).toEqual(['pkg', 'config']);
  });

  it('drops operations having any skipped tag, and trims a handler to the triggers still there', () => {
    const selected = selectOperations(ops, { skipTags: ['slow'] });
    expect(names(selected)).toEqual(['pkg', 'config', 'reload<-config', 'plain', 'after reload<-reload']);
    // The original is not changed.
    expect(ops[3]!.whenChanged).toEqual(['config', 'unit']);
  });

  it('drops a handler none of whose triggers is selected, and the handlers that depend on it', () => {
    expect(names(selectOperations(ops, { tags: ['web'], skipTags: ['config', 'slow'] }))).toEqual([]);
    expect(names(selectOperations(ops, { skipTags: ['config', 'slow'] }))).toEqual(['pkg', 'plain']);
  });

  it('shows the selection in the run target', () => {
    expect(describeSelection({})).toBe('');
    expect(describeSelection({ tags: ['a', 'b'], skipTags: ['c'] })).toBe(' tags:a,b skip-tags:c');
    expect(describeSelection({ skipTags: ['c'] })).toBe(' skip-tags:c');
  });
});

describe('checking handlers', () => {
  it('finds no problem when every trigger is earlier, names duplicated or not', () => {
    expect(handlerProblems('h1', ops)).toEqual([]);
    expect(handlerProblems('h1', [op(0, 'a'), op(1, 'a'), op(2, 'h', { whenChanged: ['a'] })])).toEqual([]);
  });

  it('names the host, the operation and the bad name', () => {
    expect(handlerProblems('web1', [op(0, 'h', { whenChanged: ['a'] }), op(1, 'a')])).toEqual([
      'host web1, operation #0 "h": when_changed names "a", a later operation; a handler must name earlier operations of the same host',
    ]);
  });
});
