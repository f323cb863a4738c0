import { MODULE_FUNCTIONS, MODULE_PRELUDE_HEADER } from '../module-prelude';

/**
 * Every host job's driver script carries the module helpers and each operation the prelude
 * header. V8 stores a string with a single character above U+00FF at two bytes per character,
 * and a script joined from parts with one such character is stored that way whole: at 200 hosts
 * at once that doubled the scripts the worker holds (a "…" in a comment did it). So the texts
 * every script includes stay ASCII.
 */
describe('the prelude texts sent with every host job', () => {
  it.each([
    ['MODULE_FUNCTIONS', MODULE_FUNCTIONS],
    ['MODULE_PRELUDE_HEADER', MODULE_PRELUDE_HEADER],
  ])('%s is ASCII', (_name, text) => {
    const outside = [...text].flatMap((c, i) => (c.charCodeAt(0) > 0x7f ? [`${JSON.stringify(c)} at ${i}`] : []));
    expect(outside).toEqual([]);
  });
});
