import { generateFiles, joinPathFragments, OverwriteStrategy, type Tree } from '@nx/devkit';
import { isTextual, type Field } from './fields';
import * as code from './field-code';
import type { NormalizedModule } from './names';
import { migrationClassName } from './register';
import { E2E_DIR, MIGRATIONS_DIR } from './workspace';

const FILES = joinPathFragments(__dirname, '..', 'files');

/** The module's four projects, its migration and its end-to-end spec, from `files/`; returns the paths written. */
export function createFiles(tree: Tree, module: NormalizedModule, timestamp: number): string[] {
  const before = new Set(tree.listChanges().map((change) => change.path));
  const substitutions = templateValues(module, timestamp);
  // checkWorkspace has refused existing targets already; this only guards against a bug.
  const options = { overwriteStrategy: OverwriteStrategy.ThrowIfExisting };
  generateFiles(tree, joinPathFragments(FILES, 'module'), 'libs', substitutions, options);
  if (module.jobs) generateFiles(tree, joinPathFragments(FILES, 'jobs'), 'libs', substitutions, options);
  generateFiles(tree, joinPathFragments(FILES, 'migration'), MIGRATIONS_DIR, substitutions, options);
  generateFiles(tree, joinPathFragments(FILES, 'e2e'), E2E_DIR, substitutions, options);
  return tree
    .listChanges()
    .map((change) => change.path)
    .filter((path) => !before.has(path));
}

/** Everything the templates read: names, fields and the code snippets of `field-code.ts`. */
export function templateValues(module: NormalizedModule, timestamp: number): Record<string, unknown> {
  const { name, entity, fields } = module;
  const columnWidth = Math.max('created_at'.length, ...(module.jobs ? ['processed_at'.length] : []), ...fields.map((f) => f.column.length));
  const columns = [
    `${'id'.padEnd(columnWidth)} uuid PRIMARY KEY DEFAULT gen_random_uuid()`,
    ...fields.map((field) => code.sqlColumn(field, columnWidth)),
    `${'created_at'.padEnd(columnWidth)} timestamptz NOT NULL DEFAULT now()`,
    ...(module.jobs ? [`${'processed_at'.padEnd(columnWidth)} timestamptz`] : []),
  ];
  const capitalise = (text: string) => text[0].toUpperCase() + text.slice(1);
  return {
    // file-name substitutions (__name__, __entity__, __timestamp__)
    name: name.fileName,
    entity: entity.fileName,
    timestamp: String(timestamp),
    // module
    Names: name.className,
    nameProp: name.propertyName,
    NAME: name.constantName,
    nameWords: name.words,
    schema: module.schema,
    table: module.table,
    // entity
    Entity: entity.className,
    entityProp: entity.propertyName,
    entitySnake: entity.snakeName,
    entityWords: entity.words,
    EntityLabel: capitalise(entity.words),
    article: entity.article,
    articleCap: capitalise(entity.article),
    // fields
    fields,
    requiredFields: fields.filter((f) => !f.optional),
    optionalFields: fields.filter((f) => f.optional),
    uniqueFields: fields.filter((f) => f.unique),
    validatorImports: code.validatorImports(fields),
    portsImports: code.portsImports(fields),
    randomInt: code.needsRandomInt(fields),
    columns,
    // jobs and migration
    jobs: module.jobs,
    jobName: `${name.fileName}.${entity.fileName}-created`,
    migrationClass: migrationClassName(module, timestamp),
    // helpers
    tsTypeOf: (field: Field) => code.recordType({ ...field, optional: false }),
    isTextual,
    recordType: code.recordType,
    createDtoProperty: code.createDtoProperty,
    dtoProperty: code.dtoProperty,
    entityColumn: code.entityColumn,
    uniqueIndexName: code.uniqueIndexName,
    uniqueIndexTarget: code.uniqueIndexTarget,
    toRecordValue: code.toRecordValue,
    toEntityValue: code.toEntityValue,
    toNewRecordValue: code.toNewRecordValue,
    sampleValue: code.sampleValue,
    testValue: code.testValue,
    badValue: code.badValue,
    otherValue: code.otherValue,
    sameForIndex: code.sameForIndex,
  };
}
