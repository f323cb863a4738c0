import { TEMPLATE_HELPERS, type AttributeSpec, type TemplateHelper } from './module-spec';

type Node = hbs.AST.Node;
type Program = hbs.AST.Program;
type PathExpression = hbs.AST.PathExpression;

/**
 * One context level of the template. Only `each` and `with` change the context (and so the
 * meaning of `../`); `if` and `unless` render their blocks in the context they were given,
 * which is also how Handlebars 4 counts `../`.
 */
interface Scope {
  readonly kind: 'root' | 'each' | 'with';
}

/** What a path in the template refers to. */
type Reference =
  | { readonly kind: 'attribute'; readonly name: string; readonly spec: AttributeSpec }
  | { readonly kind: 'item' }
  | { readonly kind: 'data' };

/** Handlebars' own test for "this path cannot be a helper call": `./x`, `this.x`, `this`. */
const SCOPED_PATH = /^\.|this\b/;

function isHelperName(name: string): name is TemplateHelper {
  return (TEMPLATE_HELPERS as readonly string[]).includes(name);
}

function helperCalled(path: Node): TemplateHelper | undefined {
  if (path.type !== 'PathExpression') return undefined;
  const p = path as PathExpression;
  const first = p.parts[0];
  if (p.data || p.depth !== 0 || p.parts.length !== 1 || first === undefined || SCOPED_PATH.test(p.original)) return undefined;
  return isHelperName(first) ? first : undefined;
}

function nameOf(path: Node): string {
  return path.type === 'PathExpression' ? (path as PathExpression).original : path.type;
}

/**
 * Checks a parsed module template against its attribute spec and returns every problem found
 * (empty when the template is fine). The rules keep templates reviewable and the rendering
 * shell-safe:
 * - every variable is a declared attribute (`{{x}}`, `{{../x}}`), `this` inside each/with, or
 *   `@index`/`@first`/`@last` inside each;
 * - only the known helpers, used the way they are meant (blocks as blocks, `eq` in conditions);
 * - `{{{x}}}` only for attributes declared raw, and raw attributes only as `{{{x}}}` (or in
 *   conditions, or through `quote`) so unquoted interpolation is always visible;
 * - lists only through `{{#each}}`; no partials, decorators or block parameters.
 */
export function checkTemplate(ast: Program, attributes: Readonly<Record<string, AttributeSpec>>): string[] {
  const problems: string[] = [];
  const declared = Object.keys(attributes).sort().join(', ') || 'none';
  const at = (node: Node, message: string): void => {
    // Program nodes of empty blocks can come without a location.
    const start = (node.loc as hbs.AST.SourceLocation | undefined)?.start;
    problems.push(start === undefined ? message : `line ${start.line}, column ${start.column + 1}: ${message}`);
  };

  /** How to reach an attribute that shares a helper's name. */
  function helperShadowHint(name: string): string {
    return Object.prototype.hasOwnProperty.call(attributes, name) ? `; for the attribute "${name}" write this.${name}` : '';
  }

  function resolve(path: PathExpression, scopes: readonly Scope[]): Reference | undefined {
    const innermost = scopes[scopes.length - 1];
    if (path.data) {
      const name = path.parts[0];
      if (path.depth === 0 && path.parts.length === 1 && (name === 'index' || name === 'first' || name === 'last') && innermost?.kind === 'each') {
        return { kind: 'data' };
      }
      at(path, `@${path.parts.join('.')} is not available here (only @index, @first and @last, inside {{#each}})`);
      return undefined;
    }
    const target = scopes[scopes.length - 1 - path.depth];
    if (target === undefined) {
      at(path, `"${path.original}" climbs above the top level of the template`);
      return undefined;
    }
    if (path.parts.length === 0) {
      if (target.kind === 'root') {
        at(path, `"${path.original}" at the top level means all attributes at once; name one attribute`);
        return undefined;
      }
      return { kind: 'item' };
    }
    if (path.parts.length > 1) {
      at(path, `"${path.original}": attributes are plain values without fields`);
      return undefined;
    }
    const name = path.parts[0] ?? '';
    if (target.kind !== 'root') {
      at(path, `"${path.original}": inside {{#${target.kind}}} the context is the item; write {{this}} for the item and {{../${name}}} for the attribute`);
      return undefined;
    }
    const spec = attributes[name];
    if (spec === undefined || !Object.prototype.hasOwnProperty.call(attributes, name)) {
      at(path, `"${path.original}" is not a declared attribute (declared: ${declared})`);
      return undefined;
    }
    return { kind: 'attribute', name, spec };
  }

  /** A parameter of a helper: a variable, a literal, or `(eq a b)`. */
  function expression(node: Node, scopes: readonly Scope[]): Reference | undefined {
    switch (node.type) {
      case 'PathExpression': {
        const helper = helperCalled(node);
        if (helper !== undefined) {
          at(node, `"${helper}" is a helper, not a value${helperShadowHint(helper)}`);
          return undefined;
        }
        return resolve(node as PathExpression, scopes);
      }
      case 'SubExpression': {
        const sub = node as hbs.AST.SubExpression;
        checkNoHash(sub.hash);
        const helper = helperCalled(sub.path);
        if (helper !== 'eq') {
          at(node, `unknown helper "${nameOf(sub.path)}" in (…); only (eq a b) is available`);
          return undefined;
        }
        if (sub.params.length !== 2) at(node, `(eq …) takes exactly two values, got ${sub.params.length}`);
        for (const p of sub.params) expression(p, scopes);
        return undefined;
      }
      case 'StringLiteral':
      case 'NumberLiteral':
      case 'BooleanLiteral':
      case 'NullLiteral':
      case 'UndefinedLiteral':
        return undefined;
      default:
        at(node, `unexpected ${node.type}`);
        return undefined;
    }
  }

  function checkNoHash(hash: hbs.AST.Hash | undefined): void {
    if (hash !== undefined && hash.pairs.length > 0) at(hash, 'named arguments (key=value) are not supported');
  }

  function mustache(node: hbs.AST.MustacheStatement, scopes: readonly Scope[]): void {
    checkNoHash(node.hash);
    if (node.path.type !== 'PathExpression') {
      at(node, `{{${String((node.path as hbs.AST.StringLiteral).original)}}}: a literal cannot be interpolated`);
      return;
    }
    const helper = helperCalled(node.path);
    if (helper === 'quote') {
      if (!node.escaped) at(node, '{{{quote …}}} would drop the quoting; write {{quote x}}');
      const [param, ...extra] = node.params;
      if (param === undefined || extra.length > 0) {
        at(node, '{{quote x}} takes exactly one attribute');
        return;
      }
      const ref = expression(param, scopes);
      if (ref?.kind === 'attribute' && (ref.spec.type === 'list' || ref.spec.type === 'int' || ref.spec.type === 'bool')) {
        at(node, `{{quote ${ref.name}}}: quote is for text attributes; "${ref.name}" is ${ref.spec.type}`);
      }
      return;
    }
    if (helper !== undefined && node.params.length === 0 && Object.prototype.hasOwnProperty.call(attributes, helper)) {
      at(node, `{{${helper}}} calls the helper "${helper}"${helperShadowHint(helper)}`);
      return;
    }
    if (helper !== undefined) {
      at(node, helper === 'eq' ? '{{eq …}} is for conditions: write {{#if (eq a b)}}' : `"${helper}" is a block helper: write {{#${helper} …}}…{{/${helper}}}`);
      return;
    }
    const path = node.path as PathExpression;
    if (node.params.length > 0) {
      at(node, `unknown helper "${path.original}" (known: ${TEMPLATE_HELPERS.join(', ')})`);
      return;
    }
    const ref = resolve(path, scopes);
    if (ref === undefined) return;
    const isRaw = ref.kind === 'attribute' && ref.spec.raw === true;
    if (!node.escaped && !isRaw) {
      at(node, `{{{${path.original}}}} interpolates unquoted, which only attributes declared "raw": true may; write {{${path.original}}}`);
    } else if (node.escaped && isRaw) {
      at(node, `raw attribute "${path.original}" must be written {{{${path.original}}}}, so its unquoted use is visible`);
    } else if (ref.kind === 'attribute' && ref.spec.type === 'list') {
      at(node, `list attribute "${ref.name}" expands with {{#each ${path.original}}}{{this}} {{/each}}`);
    }
  }

  function block(node: hbs.AST.BlockStatement, scopes: readonly Scope[]): void {
    checkNoHash(node.hash);
    const helper = helperCalled(node.path);
    if (helper === undefined || helper === 'eq' || helper === 'quote') {
      at(node, `unknown block helper "${nameOf(node.path)}" (block helpers: if, unless, each, with)`);
      return;
    }
    const [param, ...extra] = node.params;
    if (param === undefined || extra.length > 0) {
      at(node, `{{#${helper}}} takes exactly one value, got ${node.params.length}`);
      return;
    }
    const ref = expression(param, scopes);
    // `undefined` after a path means resolve() has already reported the problem.
    const reported = param.type === 'PathExpression' && ref === undefined;
    let inner = scopes;
    if (helper === 'each') {
      if (!reported && (ref?.kind !== 'attribute' || ref.spec.type !== 'list')) at(param, '{{#each}} iterates over list attributes only');
      inner = [...scopes, { kind: 'each' }];
    } else if (helper === 'with') {
      if (!reported && (ref?.kind !== 'attribute' || ref.spec.type === 'list' || ref.spec.raw === true)) at(param, '{{#with}} takes a non-list, non-raw attribute');
      inner = [...scopes, { kind: 'with' }];
    }
    program(node.program, inner);
    // The {{else}} branch renders in the outer context for every helper.
    if (node.inverse) program(node.inverse, scopes);
  }

  function statement(node: Node, scopes: readonly Scope[]): void {
    switch (node.type) {
      case 'ContentStatement':
      case 'CommentStatement':
        return;
      case 'MustacheStatement':
        return mustache(node as hbs.AST.MustacheStatement, scopes);
      case 'BlockStatement':
        return block(node as hbs.AST.BlockStatement, scopes);
      case 'PartialStatement':
      case 'PartialBlockStatement':
        return at(node, 'partials ({{> …}}) are not supported');
      case 'Decorator':
      case 'DecoratorBlock':
        return at(node, 'decorators ({{* …}}) are not supported');
      default:
        return at(node, `unexpected ${node.type}`);
    }
  }

  function program(node: Program, scopes: readonly Scope[]): void {
    if (node.blockParams !== undefined && node.blockParams.length > 0) {
      at(node, `block parameters (as |${node.blockParams.join(' ')}|) are not supported; use {{this}}`);
    }
    for (const s of node.body) statement(s, scopes);
  }

  program(ast, [{ kind: 'root' }]);
  return problems;
}
