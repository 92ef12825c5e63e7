import * as ts from 'typescript';

/*
 * Every use of the TypeScript compiler API in the plugin is in this file (the generators notes:
 * TypeScript 7 drops the compiler API, so it stays in one place). Parser only, no type checker:
 * names are resolved by the identifiers the code writes, which is what Nest's `design:paramtypes`
 * sees too.
 */

export type CallSemantics = 'idempotent' | 'at-most-once';

/** A class decorated `@Port<X>('wire-name', { method: semantics })`. */
export interface PortDeclaration {
  name: string;
  wire: string;
  methods: Record<string, CallSemantics>;
  file: string;
}

/** A call `this.<field>.<method>(…)` on a port-typed constructor parameter. */
export interface PortCall {
  port: string;
  method: string;
  /** Inside a loop or a `.map/.forEach/…` callback: runs once per element. */
  inLoop: boolean;
  /** Inside a `catch` clause: runs only when something before it failed. */
  onFailure: boolean;
}

export interface MethodFacts {
  /** Port calls, with calls to the class's own methods (`this.helper()`) followed. */
  calls: PortCall[];
  /** Job constants passed to `this.<jobs>.enqueue(Job, …)`. */
  enqueues: string[];
  /**
   * Jobs written to an outbox (ADR 0014) through the platform's `OutboxWriter`: `<writer>.write(runner,
   * Job, …)` or `<writer>.values(Job, …)` (the row, for a statement that inserts it), where the
   * writer is a file-level `const X = new OutboxWriter('schema.outbox')` or a constructor parameter
   * typed `OutboxWriter`. The module's outbox relay queues them later.
   */
  outboxWrites: { job: string; table?: string }[];
  decorators: { name: string; args: ts.Expression[] }[];
}

export interface ClassFacts {
  name: string;
  file: string;
  extends?: string;
  decorators: { name: string; args: ts.Expression[] }[];
  /** Constructor parameter type names (or `@Inject(token)` identifiers), in order; undefined without a constructor. */
  constructorTokens?: (string | undefined)[];
  methods: Record<string, MethodFacts>;
}

/** What a Nest `@Module({...})` declares, as identifier names. */
export interface NestModuleFacts {
  name: string;
  file: string;
  exports: string[];
  /** Classes whose constructors Nest resolves: providers (class, useClass) and controllers. */
  instantiated: { className: string; controller: boolean }[];
  /** Tokens a `useFactory` provider injects or a `useExisting` provider aliases. */
  injectedTokens: string[];
  /** `{ provide: Port, useClass: Impl }`: port name → implementation class name. */
  bindings: Record<string, string>;
  /** Imports `QueueModule.forJobs(...)`: produces jobs. */
  enqueuesJobs: boolean;
  /** Outbox tables whose relay it provides: `provideOutboxRelay({ table: 'orders.outbox' })`. */
  outboxRelays: string[];
}

export interface SourceFacts {
  ports: PortDeclaration[];
  classes: ClassFacts[];
  nestModules: NestModuleFacts[];
  /** `const X = defineJob(queue, 'wire.name')`: constant name → job name. */
  jobs: Record<string, string>;
  /** `@Entity({ schema: 'x', name: 'y' })` */
  entities: { className: string; schema?: string; table?: string; file: string }[];
}

const LOOP_METHODS = new Set(['map', 'forEach', 'flatMap', 'filter', 'reduce', 'some', 'every', 'find']);

/** The platform's outbox writer (`@strata/platform/queue`) and the argument holding the job of each of its methods. */
const OUTBOX_WRITER = 'OutboxWriter';
const OUTBOX_JOB_ARGUMENT: Record<string, number> = { write: 1, values: 0 };

const decoratorsOf = (node: ts.Node) =>
  (ts.canHaveDecorators(node) ? (ts.getDecorators(node) ?? []) : []).flatMap((decorator) => {
    const expression = decorator.expression;
    if (ts.isCallExpression(expression) && ts.isIdentifier(expression.expression))
      return [{ name: expression.expression.text, args: [...expression.arguments] }];
    if (ts.isIdentifier(expression)) return [{ name: expression.text, args: [] }];
    return [];
  });

const stringOf = (node: ts.Expression | undefined): string | undefined =>
  node && (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) ? node.text : undefined;

const propertyOf = (object: ts.Expression | undefined, key: string): ts.Expression | undefined => {
  if (!object || !ts.isObjectLiteralExpression(object)) return undefined;
  for (const property of object.properties)
    if (ts.isPropertyAssignment(property) && propertyName(property.name) === key) return property.initializer;
  return undefined;
};

const propertyName = (name: ts.PropertyName): string | undefined =>
  ts.isIdentifier(name) || ts.isStringLiteral(name) ? name.text : undefined;

const identifiersOf = (array: ts.Expression | undefined): ts.Expression[] =>
  array && ts.isArrayLiteralExpression(array) ? [...array.elements] : [];

const nameOf = (node: ts.Expression | undefined): string | undefined => (node && ts.isIdentifier(node) ? node.text : undefined);

/** Reads one source file's ports, classes, Nest modules, jobs and entities. */
export function readSourceFacts(file: string, text: string): SourceFacts {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const facts: SourceFacts = { ports: [], classes: [], nestModules: [], jobs: {}, entities: [] };
  /** File-level `const X = new OutboxWriter('schema.outbox')`: X → its table. */
  const outboxWriters = new Map<string, string | undefined>();
  for (const statement of source.statements)
    if (ts.isVariableStatement(statement))
      for (const declaration of statement.declarationList.declarations) {
        const init = declaration.initializer;
        if (ts.isIdentifier(declaration.name) && init && ts.isNewExpression(init) && nameOf(init.expression) === OUTBOX_WRITER)
          outboxWriters.set(declaration.name.text, stringOf(init.arguments?.[0]));
      }
  for (const statement of source.statements) {
    if (ts.isVariableStatement(statement)) {
      for (const declaration of statement.declarationList.declarations) {
        const init = declaration.initializer;
        if (ts.isIdentifier(declaration.name) && init && ts.isCallExpression(init) && nameOf(init.expression) === 'defineJob') {
          const jobName = stringOf(init.arguments[1]);
          if (jobName) facts.jobs[declaration.name.text] = jobName;
        }
      }
    }
    if (!ts.isClassDeclaration(statement) || !statement.name) continue;
    const name = statement.name.text;
    const decorators = decoratorsOf(statement);
    const heritage = statement.heritageClauses?.find((clause) => clause.token === ts.SyntaxKind.ExtendsKeyword);
    const base = heritage?.types[0]?.expression;

    const port = decorators.find((decorator) => decorator.name === 'Port');
    if (port) {
      const methods: Record<string, CallSemantics> = {};
      const table = port.args[1];
      if (table && ts.isObjectLiteralExpression(table))
        for (const property of table.properties)
          if (ts.isPropertyAssignment(property)) {
            const key = propertyName(property.name);
            // `'idempotent'`, or `{ call: 'idempotent', args: [...] }` for a method whose arguments are validated.
            const value = stringOf(property.initializer) ?? stringOf(propertyOf(property.initializer, 'call'));
            if (key && (value === 'idempotent' || value === 'at-most-once')) methods[key] = value;
          }
      facts.ports.push({ name, wire: stringOf(port.args[0]) ?? name, methods, file });
    }
    // A module's idempotency store: `@IdempotencyPort('orders.idempotency')` declares a port whose
    // methods are those of the platform's `IdempotencyStore`, all idempotent.
    const idempotencyPort = decorators.find((decorator) => decorator.name === 'IdempotencyPort');
    if (idempotencyPort) {
      const methods: Record<string, CallSemantics> = { begin: 'idempotent', finish: 'idempotent', release: 'idempotent' };
      facts.ports.push({ name, wire: stringOf(idempotencyPort.args[0]) ?? name, methods, file });
    }

    const entity = decorators.find((decorator) => decorator.name === 'Entity');
    if (entity)
      facts.entities.push({
        className: name,
        schema: stringOf(propertyOf(entity.args[0], 'schema')),
        table: stringOf(propertyOf(entity.args[0], 'name')) ?? stringOf(entity.args[0]),
        file,
      });

    const nestModule = decorators.find((decorator) => decorator.name === 'Module');
    if (nestModule) facts.nestModules.push(readNestModule(name, file, nestModule.args[0]));

    facts.classes.push(readClass(statement, name, file, decorators, base && ts.isIdentifier(base) ? base.text : undefined, outboxWriters));
  }
  return facts;
}

function readNestModule(name: string, file: string, metadata: ts.Expression | undefined): NestModuleFacts {
  const facts: NestModuleFacts = {
    name,
    file,
    exports: [],
    instantiated: [],
    injectedTokens: [],
    bindings: {},
    enqueuesJobs: false,
    outboxRelays: [],
  };
  for (const entry of identifiersOf(propertyOf(metadata, 'exports'))) {
    const token = nameOf(entry);
    if (token) facts.exports.push(token);
  }
  for (const entry of identifiersOf(propertyOf(metadata, 'controllers'))) {
    const token = nameOf(entry);
    if (token) facts.instantiated.push({ className: token, controller: true });
  }
  for (const entry of identifiersOf(propertyOf(metadata, 'providers'))) {
    const token = nameOf(entry);
    if (token) {
      facts.instantiated.push({ className: token, controller: false });
      continue;
    }
    if (ts.isCallExpression(entry) && nameOf(entry.expression) === 'provideOutboxRelay') {
      const table = stringOf(propertyOf(entry.arguments[0], 'table'));
      if (table) facts.outboxRelays.push(table);
      continue;
    }
    const provide = nameOf(propertyOf(entry, 'provide'));
    const useClass = nameOf(propertyOf(entry, 'useClass'));
    if (useClass) {
      facts.instantiated.push({ className: useClass, controller: false });
      if (provide) facts.bindings[provide] = useClass;
    }
    for (const injected of identifiersOf(propertyOf(entry, 'inject'))) {
      const token = nameOf(injected) ?? nameOf(propertyOf(injected, 'token'));
      if (token) facts.injectedTokens.push(token);
    }
    const existing = nameOf(propertyOf(entry, 'useExisting'));
    if (existing) facts.injectedTokens.push(existing);
  }
  for (const entry of identifiersOf(propertyOf(metadata, 'imports'))) {
    if (
      ts.isCallExpression(entry) &&
      ts.isPropertyAccessExpression(entry.expression) &&
      nameOf(entry.expression.expression) === 'QueueModule' &&
      entry.expression.name.text === 'forJobs'
    )
      facts.enqueuesJobs = true;
  }
  return facts;
}

function readClass(
  node: ts.ClassDeclaration,
  name: string,
  file: string,
  decorators: ClassFacts['decorators'],
  base: string | undefined,
  outboxWriters: Map<string, string | undefined> = new Map(),
): ClassFacts {
  const constructor = node.members.find(ts.isConstructorDeclaration);
  /** Constructor parameter: field name (if a parameter property) and token. */
  const parameters = constructor?.parameters.map((parameter) => {
    const inject = decoratorsOf(parameter).find((decorator) => decorator.name === 'Inject');
    const type = parameter.type;
    const token =
      nameOf(inject?.args[0]) ?? (type && ts.isTypeReferenceNode(type) && ts.isIdentifier(type.typeName) ? type.typeName.text : undefined);
    const isField = (ts.getModifiers(parameter) ?? []).some((modifier) =>
      [ts.SyntaxKind.PrivateKeyword, ts.SyntaxKind.ProtectedKeyword, ts.SyntaxKind.PublicKeyword, ts.SyntaxKind.ReadonlyKeyword].includes(
        modifier.kind,
      ),
    );
    return { field: isField && ts.isIdentifier(parameter.name) ? parameter.name.text : undefined, token };
  });
  const fields = new Map((parameters ?? []).flatMap(({ field, token }) => (field && token ? [[field, token] as const] : [])));

  const bodies = new Map<string, { method: ts.MethodDeclaration; body: ts.Block }>();
  for (const member of node.members)
    if (ts.isMethodDeclaration(member) && member.body && ts.isIdentifier(member.name))
      bodies.set(member.name.text, { method: member, body: member.body });

  /** The outbox a call's receiver writes to: a file-level writer, or a field typed `OutboxWriter`; null when it is no writer. */
  const outboxOf = (receiver: ts.Expression): { table?: string } | null => {
    if (ts.isIdentifier(receiver) && outboxWriters.has(receiver.text)) return { table: outboxWriters.get(receiver.text) };
    if (
      ts.isPropertyAccessExpression(receiver) &&
      receiver.expression.kind === ts.SyntaxKind.ThisKeyword &&
      fields.get(receiver.name.text) === OUTBOX_WRITER
    )
      return {};
    return null;
  };

  const direct = new Map<
    string,
    {
      calls: (PortCall & { field: string })[];
      enqueues: string[];
      outboxWrites: MethodFacts['outboxWrites'];
      helpers: { name: string; inLoop: boolean; onFailure: boolean }[];
    }
  >();
  for (const [methodName, { body }] of bodies) {
    const calls: (PortCall & { field: string })[] = [];
    const enqueues: string[] = [];
    const outboxWrites: MethodFacts['outboxWrites'] = [];
    const helpers: { name: string; inLoop: boolean; onFailure: boolean }[] = [];
    const visit = (current: ts.Node, inLoop: boolean, onFailure: boolean): void => {
      let loop = inLoop;
      let failure = onFailure;
      if (
        ts.isForStatement(current) ||
        ts.isForOfStatement(current) ||
        ts.isForInStatement(current) ||
        ts.isWhileStatement(current) ||
        ts.isDoStatement(current)
      )
        loop = true;
      if (ts.isCatchClause(current)) failure = true;
      if (ts.isCallExpression(current)) {
        const callee = current.expression;
        if (ts.isPropertyAccessExpression(callee)) {
          const target = callee.expression;
          // <outbox writer>.write(runner, Job, …) / .values(Job, …)
          const jobArgument = OUTBOX_JOB_ARGUMENT[callee.name.text];
          const outbox = jobArgument === undefined ? null : outboxOf(target);
          if (outbox) {
            const job = nameOf(current.arguments[jobArgument]);
            if (job) outboxWrites.push({ job, ...(outbox.table !== undefined ? { table: outbox.table } : {}) });
          }
          // this.<field>.<method>(…)
          if (ts.isPropertyAccessExpression(target) && target.expression.kind === ts.SyntaxKind.ThisKeyword) {
            const field = target.name.text;
            if (callee.name.text === 'enqueue' && fields.has(field)) {
              const job = nameOf(current.arguments[0]);
              if (job) enqueues.push(job);
            }
            const port = fields.get(field);
            if (port !== undefined) calls.push({ field, port, method: callee.name.text, inLoop: loop, onFailure: failure });
          }
          // this.<helper>(…)
          if (target.kind === ts.SyntaxKind.ThisKeyword && bodies.has(callee.name.text))
            helpers.push({ name: callee.name.text, inLoop: loop, onFailure: failure });
          // xs.map(x => …): the callback runs per element.
          if (LOOP_METHODS.has(callee.name.text)) {
            visit(callee, loop, failure);
            for (const argument of current.arguments)
              visit(argument, ts.isArrowFunction(argument) || ts.isFunctionExpression(argument) ? true : loop, failure);
            return;
          }
        }
      }
      ts.forEachChild(current, (child) => visit(child, loop, failure));
    };
    visit(body, false, false);
    direct.set(methodName, { calls, enqueues, outboxWrites, helpers });
  }

  const methods: Record<string, MethodFacts> = {};
  const flatten = (methodName: string, seen: Set<string>): Omit<MethodFacts, 'decorators'> => {
    const own = direct.get(methodName);
    if (!own) throw new Error(`${file}: no calls read for method ${name}.${methodName}`);
    const calls: PortCall[] = own.calls.map(({ port, method, inLoop, onFailure }) => ({ port, method, inLoop, onFailure }));
    const enqueues = [...own.enqueues];
    const outboxWrites = [...own.outboxWrites];
    for (const helper of own.helpers) {
      if (seen.has(helper.name)) continue;
      const inner = flatten(helper.name, new Set([...seen, helper.name]));
      calls.push(
        ...inner.calls.map((call) => ({ ...call, inLoop: call.inLoop || helper.inLoop, onFailure: call.onFailure || helper.onFailure })),
      );
      enqueues.push(...inner.enqueues);
      outboxWrites.push(...inner.outboxWrites);
    }
    return { calls, enqueues, outboxWrites };
  };
  for (const [methodName, { method }] of bodies)
    methods[methodName] = { ...flatten(methodName, new Set([methodName])), decorators: decoratorsOf(method) };

  return { name, file, extends: base, decorators, constructorTokens: parameters?.map(({ token }) => token), methods };
}

/** The HTTP route of a controller method: `@Controller('orders')` and `@Post(':id/cancel')`. */
export function routeOf(controller: ClassFacts, method: MethodFacts): { verb: string; path: string } | undefined {
  const verbs = ['Get', 'Post', 'Put', 'Patch', 'Delete', 'Head', 'Options', 'All'];
  const route = method.decorators.find((decorator) => verbs.includes(decorator.name));
  if (!route) return undefined;
  const prefix = stringOf(controller.decorators.find((decorator) => decorator.name === 'Controller')?.args[0]) ?? '';
  const path = ['api', prefix, stringOf(route.args[0]) ?? ''].filter(Boolean).join('/').replace(/\/+/g, '/');
  return { verb: route.name.toUpperCase(), path: `/${path}` };
}

/** The job constant a worker method handles: `@OnJob(ConfirmOrderJob)`. */
export function handledJobOf(method: MethodFacts): string | undefined {
  return nameOf(method.decorators.find((decorator) => decorator.name === 'OnJob')?.args[0]);
}

/**
 * The application's modules from `apps/server/src/application.ts`: the `modules: { name: { tier:
 * NestModule } }` object literal, as names.
 */
export function readApplicationModules(file: string, text: string): Record<string, Record<string, string>> {
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  let modules: ts.ObjectLiteralExpression | undefined;
  const visit = (node: ts.Node): void => {
    if (
      !modules &&
      ts.isPropertyAssignment(node) &&
      propertyName(node.name) === 'modules' &&
      ts.isObjectLiteralExpression(node.initializer)
    )
      modules = node.initializer;
    else ts.forEachChild(node, visit);
  };
  visit(source);
  if (!modules) throw new Error(`${file} declares no "modules: { ... }" object`);
  const result: Record<string, Record<string, string>> = {};
  for (const property of modules.properties) {
    if (!ts.isPropertyAssignment(property) || !ts.isObjectLiteralExpression(property.initializer)) continue;
    const module = propertyName(property.name);
    if (!module) continue;
    result[module] = {};
    for (const tier of property.initializer.properties)
      if (ts.isPropertyAssignment(tier)) {
        const tierName = propertyName(tier.name);
        const nestModule = nameOf(tier.initializer);
        if (tierName && nestModule) result[module][tierName] = nestModule;
      }
  }
  return result;
}

/** `REFERENCES schema.table` in a migration's SQL: the schemas and tables it points at. */
export function readForeignKeys(text: string): { schema: string; table: string }[] {
  return [...text.matchAll(/REFERENCES\s+"?([a-z_][a-z0-9_]*)"?\."?([a-z_][a-z0-9_]*)"?/gi)].map((match) => ({
    schema: match[1],
    table: match[2],
  }));
}

/** The tables a migration creates: `CREATE TABLE schema.table`. */
export function readCreatedTables(text: string): { schema: string; table: string }[] {
  return [...text.matchAll(/CREATE\s+TABLE\s+(?:IF\s+NOT\s+EXISTS\s+)?"?([a-z_][a-z0-9_]*)"?\."?([a-z_][a-z0-9_]*)"?/gi)].map((match) => ({
    schema: match[1],
    table: match[2],
  }));
}

/** Rewrites the shipped-topology registration in `topologies/index.ts`: one import and one entry. */
export function registerTopology(text: string, name: string, identifier: string): string {
  const source = ts.createSourceFile('index.ts', text, ts.ScriptTarget.Latest, true, ts.ScriptKind.TS);
  const imports = source.statements.filter(ts.isImportDeclaration);
  const importLine = `import ${identifier} from './${name}.json';\n`;
  const sorted = imports.find((declaration) => {
    const specifier = stringOf(declaration.moduleSpecifier as ts.Expression);
    return specifier !== undefined && specifier > `./${name}.json`;
  });
  const lastImport = imports.at(-1);
  const importAt = sorted ? sorted.getStart(source) : lastImport ? lastImport.getEnd() + 1 : 0;
  let object: ts.ObjectLiteralExpression | undefined;
  const visit = (node: ts.Node): void => {
    if (
      !object &&
      ts.isVariableDeclaration(node) &&
      ts.isIdentifier(node.name) &&
      node.name.text === 'shippedTopologies' &&
      node.initializer &&
      ts.isObjectLiteralExpression(node.initializer)
    )
      object = node.initializer;
    else ts.forEachChild(node, visit);
  };
  visit(source);
  if (!object) throw new Error('topologies/index.ts declares no shippedTopologies object');
  const key = /^[A-Za-z_$][\w$]*$/.test(name) ? name : `'${name}'`;
  const entry = key === identifier ? identifier : `${key}: ${identifier}`;
  const last = object.properties.at(-1);
  const entryAt = last ? last.getEnd() : object.getStart(source) + 1;
  const insertion = last ? `, ${entry}` : ` ${entry} `;
  const edits = [
    { at: entryAt, text: insertion },
    { at: importAt, text: importLine },
  ].sort((a, b) => b.at - a.at);
  return edits.reduce((result, edit) => result.slice(0, edit.at) + edit.text + result.slice(edit.at), text);
}
