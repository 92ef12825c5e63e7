import { names } from '@nx/devkit';
import pluralize from 'pluralize';
import { MAX_IDENTIFIER_LENGTH, parseFields, type Field } from './fields';
import {
  GENERATED_MEMBER_NAMES,
  JAVASCRIPT_RESERVED_WORDS,
  MODULE_TABLES,
  POSTGRES_RESERVED_WORDS,
  RESERVED_SCHEMAS,
  WORKSPACE_RESERVED_NAMES,
} from './reserved-words';
import type { ModuleGeneratorSchema } from '../schema';

/** Every spelling of one name: `line-items`, `LineItems`, `lineItems`, `LINE_ITEMS`, `line_items`, `line items`. */
export interface NameForms {
  fileName: string;
  className: string;
  propertyName: string;
  constantName: string;
  snakeName: string;
  words: string;
}

/** The options, checked and spelled out once; every later step reads this. */
export interface NormalizedModule {
  name: NameForms;
  entity: NameForms & { article: 'a' | 'an' };
  /** PostgreSQL schema and table: the module's name with `-` turned into `_`. */
  schema: string;
  table: string;
  fields: Field[];
  jobs: boolean;
  placeWith: string;
  tiers: readonly Tier[];
}

export const TIERS = ['contracts', 'data-access', 'business', 'presentation'] as const;
export type Tier = (typeof TIERS)[number];

const MODULE_NAME = /^[a-z][a-z0-9]*(-[a-z0-9]+)*$/;
const ENTITY_NAME = /^[A-Za-z][A-Za-z0-9]*(-[A-Za-z0-9]+)*$/;

/**
 * Checks and spells out the options, throwing a one-line error on the first problem. Pure: it
 * reads nothing from the workspace (see `checkWorkspace` for that), and the schema's checks are
 * repeated here because a direct call skips them.
 */
export function normalizeOptions(options: ModuleGeneratorSchema): NormalizedModule {
  const raw = typeof options.name === 'string' ? options.name.trim() : '';
  if (!MODULE_NAME.test(raw)) {
    throw new Error(`Invalid module name "${raw}": use kebab-case starting with a letter, e.g. invoices or line-items`);
  }
  const name = forms(raw);
  refuseReservedSchema(`module name "${raw}"`, name.snakeName);
  refuseReserved(`module name "${raw}"`, raw, name.snakeName, name.propertyName);

  const entityName = options.entity === undefined || options.entity === '' ? singularOf(raw) : checkedEntity(options.entity);
  const entity = forms(entityName);
  try {
    refuseReserved(`entity name "${entityName}"`, entity.fileName, entity.snakeName, entity.propertyName);
  } catch (error) {
    // The singular was read from the module's name: say how to choose another.
    if (options.entity === undefined || options.entity === '') {
      throw new Error(`${(error as Error).message}; pass another with --entity (e.g. --entity=${raw}-item)`);
    }
    throw error;
  }
  if (entity.fileName === name.fileName) {
    throw new Error(
      `Invalid entity "${entityName}": the singular must differ from the module name "${raw}"; pass another with --entity (e.g. --entity=${raw}-item)`,
    );
  }
  // The module's camelCase name is a constructor property of the generated repository, service and
  // controller: it cannot be one of their other members (the entity's own never collide: see the templates).
  const members = [...GENERATED_MEMBER_NAMES, `create${entity.className}`, `get${entity.className}`];
  if (members.includes(name.propertyName)) {
    throw new Error(`Invalid module name "${raw}": "${name.propertyName}" is a member of the generated classes`);
  }

  const jobs = options.jobs === true;
  // The columns (and properties) the templates add to every table (entity, record and DTO).
  if (options.fields !== undefined && String(options.fields).trim() === '') {
    throw new Error('Invalid --fields: it is empty; give at least one field, e.g. --fields=number:string:unique,amountCents:int');
  }
  const fields = parseFields(options.fields === undefined ? 'name:string' : String(options.fields), [
    'id',
    'createdAt',
    ...(jobs ? ['processedAt'] : []),
  ]);
  const schema = name.snakeName;
  // The longest identifier the migration creates is a unique index: <table>_<column>_lower_key.
  for (const field of fields.filter((f) => f.unique)) {
    if (`${schema}_${field.column}_lower_key`.length > MAX_IDENTIFIER_LENGTH) {
      throw new Error(`Invalid field "${field.name}": its index name would exceed PostgreSQL's ${MAX_IDENTIFIER_LENGTH} characters`);
    }
  }

  const placeWith = options.placeWith === undefined || options.placeWith === '' ? 'customers' : String(options.placeWith);
  if (!MODULE_NAME.test(placeWith)) throw new Error(`Invalid --placeWith "${placeWith}": expected the name of an existing module`);

  return {
    name,
    entity: { ...entity, article: /^[aeiou]/.test(entity.words) ? 'an' : 'a' },
    schema,
    table: schema,
    fields,
    jobs,
    placeWith,
    tiers: TIERS,
  };
}

function checkedEntity(entity: string): string {
  const trimmed = String(entity).trim();
  if (!ENTITY_NAME.test(trimmed))
    throw new Error(`Invalid --entity "${trimmed}": use a singular name such as invoice, line-item or LineItem`);
  return names(trimmed).fileName;
}

function forms(kebab: string): NameForms {
  const n = names(kebab);
  const snakeName = n.fileName.replace(/-/g, '_');
  return {
    fileName: n.fileName,
    className: n.className,
    propertyName: n.propertyName,
    constantName: n.constantName,
    snakeName,
    words: n.fileName.replace(/-/g, ' '),
  };
}

function refuseReserved(what: string, kebab: string, snake: string, camel: string): void {
  if (WORKSPACE_RESERVED_NAMES.has(kebab)) throw new Error(`Invalid ${what}: "${kebab}" is reserved by the workspace`);
  if (JAVASCRIPT_RESERVED_WORDS.has(camel)) throw new Error(`Invalid ${what}: "${camel}" is a reserved word in JavaScript`);
  if (POSTGRES_RESERVED_WORDS.has(snake)) throw new Error(`Invalid ${what}: "${snake}" is a reserved word in PostgreSQL`);
  if (snake.length > MAX_IDENTIFIER_LENGTH - 20) throw new Error(`Invalid ${what}: too long for PostgreSQL identifiers`);
}

/**
 * The module's schema: not one PostgreSQL keeps for itself (`pg_*`, `information_schema`), nor
 * `public`, nor one the workspace's infrastructure uses (the queue's, see `RESERVED_SCHEMAS`).
 */
function refuseReservedSchema(what: string, schema: string): void {
  if (schema.startsWith('pg_')) throw new Error(`Invalid ${what}: PostgreSQL reserves the schema prefix "pg_" for system schemas`);
  if (RESERVED_SCHEMAS.has(schema)) throw new Error(`Invalid ${what}: the PostgreSQL schema "${schema}" is reserved`);
  if (MODULE_TABLES.has(schema)) {
    throw new Error(
      `Invalid ${what}: its table would be ${schema}.${schema}, and every module's schema has a table "${schema}" of its own`,
    );
  }
}

/**
 * Plurals `pluralize` gets wrong (it reads `-ies` as `-y` and `-ches` as `-ch`): `cookies` is not
 * `cooky`, nor `caches` `cach`. Add here any other word found wrong.
 */
const SINGULAR_CORRECTIONS: Readonly<Record<string, string>> = {
  avalanches: 'avalanche',
  brownies: 'brownie',
  caches: 'cache',
  calories: 'calorie',
  canvases: 'canvas',
  cliches: 'cliche',
  cookies: 'cookie',
  freebies: 'freebie',
  headaches: 'headache',
  hoodies: 'hoodie',
  lenses: 'lens',
  moustaches: 'moustache',
  niches: 'niche',
  prairies: 'prairie',
  rookies: 'rookie',
  selfies: 'selfie',
  smoothies: 'smoothie',
  sorties: 'sortie',
};

/**
 * Words `pluralize`'s `-men` → `-man` rule (`women` → `woman`) gets wrong, taught to it once, for
 * every use in this process: singulars whose plural adds an `s` (`specimen` is a singular, not the
 * plural of "speciman"), and uncountables (`semen`).
 */
for (const singular of ['abdomen', 'cyclamen', 'foramen', 'hymen', 'lumen', 'omen', 'regimen', 'specimen', 'stamen']) {
  pluralize.addIrregularRule(singular, `${singular}s`);
}
for (const uncountable of ['acumen', 'albumen', 'bitumen', 'semen']) pluralize.addUncountableRule(uncountable);

/**
 * The singular of a kebab-case plural, from its last word, by the `pluralize` package:
 * `categories` → `category`, `line-items` → `line-item`, `people` → `person`, `statuses` → `status`.
 * Refuses a name that is its own singular, a singular (`invoice`) or an uncountable (`series`,
 * `staff`): pass `--entity` then.
 */
export function singularOf(plural: string): string {
  const words = plural.split('-');
  const last = words[words.length - 1];
  const singular = SINGULAR_CORRECTIONS[last] ?? pluralize.singular(last);
  if (singular === last) {
    const example = [...words.slice(0, -1), pluralize.isPlural(last) ? `${last}-item` : last].join('-');
    const plurals = [...words.slice(0, -1), pluralize.plural(last)].join('-');
    throw new Error(
      pluralize.isPlural(last)
        ? `Cannot derive the singular of "${plural}": pass it with --entity (e.g. --entity=${example}), "${last}" being its own singular`
        : `Cannot derive the singular of "${plural}": pass it with --entity, or name the module in the plural (e.g. ${plurals}, whose entity is ${example})`,
    );
  }
  return [...words.slice(0, -1), singular].join('-');
}
