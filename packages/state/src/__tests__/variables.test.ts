import fc from 'fast-check';
import { escapeVariables, substituteVariables } from '..';

describe('substituteVariables', () => {
  it('replaces references, with or without spaces, and leaves other braces alone', () => {
    expect(substituteVariables('a {{ vars.x }} b {{vars.y}} {{ other }} {{', { x: '1', y: "it's" })).toEqual({ text: "a 1 b it's {{ other }} {{", problems: [] });
  });

  it('reports undefined variables and malformed references by offset', () => {
    expect(substituteVariables('ab{{ vars.nope }} {{ vars.bad-name }}', {}).problems).toEqual([
      { offset: 2, message: 'undefined variable "nope"' },
      { offset: 18, message: 'malformed variable reference: write {{ vars.name }}' },
    ]);
  });

  it('a backslash writes the braces literally; two write one backslash', () => {
    expect(substituteVariables('\\{{ vars.x }} \\\\{{ vars.x }}', { x: 'X' }).text).toBe('{{ vars.x }} \\X');
  });

  it('escapeVariables is exact: any text survives escape then substitution', () => {
    const piece = fc.constantFrom('{{', '}}', ' vars.', 'vars.x', '\\', 'a', ' ', '{{ vars.x }}', '\\{{ vars.y }}');
    fc.assert(
      fc.property(fc.array(fc.oneof(piece, fc.string()), { maxLength: 12 }), (parts) => {
        const text = parts.join('');
        const result = substituteVariables(escapeVariables(text), { x: 'X' });
        expect(result).toEqual({ text, problems: [] });
      }),
    );
  });
});
