/**
 * Every edit of TypeScript source the generator makes, in one file: the `typescript` compiler
 * API's parser only (no type checker), and `applyChangesToString`, as Nx's own generators do.
 * Kept apart because a future TypeScript may drop this API (see generators-notes.md, section 2).
 */
import { applyChangesToString, ChangeType, type StringChange } from '@nx/devkit';
import * as ts from 'typescript';

const parse = (path: string, source: string): ts.SourceFile =>
  ts.createSourceFile(path, source, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);

/** The module specifiers of a file's import declarations, in order. */
export function importedModules(path: string, source: string): string[] {
  return parse(path, source)
    .statements.filter(ts.isImportDeclaration)
    .map((declaration) => (declaration.moduleSpecifier as ts.StringLiteral).text);
}

/**
 * Adds `import { names } from 'moduleSpecifier'` among the imports, before the first one whose
 * specifier sorts after it (the files keep their imports sorted), else after the last import.
 */
export function addImport(path: string, source: string, moduleSpecifier: string, names: string[]): string {
  const imports = parse(path, source).statements.filter(ts.isImportDeclaration);
  const statement = `import { ${[...names].sort().join(', ')} } from '${moduleSpecifier}';\n`;
  const next = imports.find((declaration) => (declaration.moduleSpecifier as ts.StringLiteral).text.localeCompare(moduleSpecifier) > 0);
  if (next) return applyChangesToString(source, [{ type: ChangeType.Insert, index: next.getStart(), text: statement }]);
  const last = imports[imports.length - 1];
  const index = last ? last.getEnd() + 1 : 0;
  return applyChangesToString(source, [{ type: ChangeType.Insert, index, text: last ? statement : `${statement}\n` }]);
}

/** The object literal at `variable.prop1.prop2...`, or undefined. */
function objectAt(file: ts.SourceFile, variable: string, path: string[]): ts.ObjectLiteralExpression | undefined {
  let found: ts.Expression | undefined;
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      if (ts.isIdentifier(declaration.name) && declaration.name.text === variable) found = declaration.initializer;
    }
  }
  for (const key of path) {
    found = unwrap(found);
    if (!found || !ts.isObjectLiteralExpression(found)) return undefined;
    const property = found.properties.find((p): p is ts.PropertyAssignment => ts.isPropertyAssignment(p) && propertyName(p.name) === key);
    found = property?.initializer;
  }
  found = unwrap(found);
  return found && ts.isObjectLiteralExpression(found) ? found : undefined;
}

/** `x as T`, `x satisfies T` and `(x)` all stand for `x`. */
function unwrap(expression: ts.Expression | undefined): ts.Expression | undefined {
  let current = expression;
  while (current && (ts.isAsExpression(current) || ts.isSatisfiesExpression(current) || ts.isParenthesizedExpression(current))) {
    current = current.expression;
  }
  return current;
}

function propertyName(name: ts.PropertyName): string | undefined {
  return ts.isIdentifier(name) || ts.isStringLiteral(name) || ts.isNumericLiteral(name) ? name.text : undefined;
}

/** The keys of the object literal at `variable.path`, or undefined when there is none. */
export function objectKeys(path: string, source: string, variable: string, objectPath: string[]): string[] | undefined {
  const object = objectAt(parse(path, source), variable, objectPath);
  return object?.properties.map((property) => (property.name ? propertyName(property.name as ts.PropertyName) : undefined) ?? '');
}

/**
 * Inserts `propertyText` (e.g. `invoices: { ... }`) into the object at `variable.path`: right after
 * the property `afterKey` when there is one, else as the last property.
 */
export function insertProperty(
  path: string,
  source: string,
  variable: string,
  objectPath: string[],
  propertyText: string,
  afterKey?: string,
): string {
  const object = objectAt(parse(path, source), variable, objectPath);
  if (!object) throw new Error(`${path}: cannot find the object ${[variable, ...objectPath].join('.')}`);
  const after = object.properties.find((property) => property.name && propertyName(property.name as ts.PropertyName) === afterKey);
  if (after) return applyChangesToString(source, [{ type: ChangeType.Insert, index: after.getEnd(), text: `, ${propertyText}` }]);
  return appendTo(source, object.properties, object.getEnd() - 1, propertyText);
}

/** The elements of the array literal assigned to `variable`, as source text, or undefined. */
export function arrayElements(path: string, source: string, variable: string): string[] | undefined {
  const array = arrayOf(parse(path, source), variable);
  return array?.elements.map((element) => element.getText());
}

/** Appends `elementText` as the last element of the array literal assigned to `variable`. */
export function appendElement(path: string, source: string, variable: string, elementText: string): string {
  const array = arrayOf(parse(path, source), variable);
  if (!array) throw new Error(`${path}: cannot find the array ${variable}`);
  return appendTo(source, array.elements, array.getEnd() - 1, elementText);
}

function arrayOf(file: ts.SourceFile, variable: string): ts.ArrayLiteralExpression | undefined {
  for (const statement of file.statements) {
    if (!ts.isVariableStatement(statement)) continue;
    for (const declaration of statement.declarationList.declarations) {
      const initializer = unwrap(declaration.initializer);
      if (
        ts.isIdentifier(declaration.name) &&
        declaration.name.text === variable &&
        initializer &&
        ts.isArrayLiteralExpression(initializer)
      ) {
        return initializer;
      }
    }
  }
  return undefined;
}

/**
 * Inserts right after the last item, so a trailing comma, if any, ends up after the new item;
 * `closing` is the index of the closing bracket, for an empty list.
 */
function appendTo(source: string, items: ts.NodeArray<ts.Node>, closing: number, text: string): string {
  const last = items[items.length - 1];
  const change: StringChange = last
    ? { type: ChangeType.Insert, index: last.getEnd(), text: `, ${text}` }
    : { type: ChangeType.Insert, index: closing, text };
  return applyChangesToString(source, [change]);
}
