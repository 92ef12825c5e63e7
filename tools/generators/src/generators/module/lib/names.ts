import { names } from '@nx/devkit';
import { MAX_IDENTIFIER_LENGTH, parseFields, type Field } from './fields';
import { JAVASCRIPT_RESERVED_WORDS, POSTGRES_RESERVED_WORDS, WORKSPACE_RESERVED_NAMES } from './reserved-words';
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
  refuseReserved(`module name "${raw}"`, raw, name.snakeName, name.propertyName);

  const entityName = options.entity === undefined || options.entity === '' ? singularOf(raw) : checkedEntity(options.entity);
  const entity = forms(entityName);
  refuseReserved(`entity name "${entityName}"`, entity.fileName, entity.snakeName, entity.propertyName);
  if (entity.fileName === name.fileName) {
    throw new Error(`Invalid entity "${entityName}": the singular must differ from the module name "${raw}"`);
  }

  const jobs = options.jobs === true;
  const fields = parseFields(options.fields === undefined || options.fields === '' ? 'name:string' : String(options.fields), [
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
 * The singular of a kebab-case plural, from its last word: `categories` → `category`,
 * `boxes` → `box`, `line-items` → `line-item`. Refuses what it cannot tell (`staff`, `status`,
 * `address`): pass `--entity` then.
 */
export function singularOf(plural: string): string {
  const words = plural.split('-');
  const last = words[words.length - 1];
  const singular = singularWord(last);
  if (!singular) {
    throw new Error(`Cannot derive the singular of "${plural}": pass it with --entity (e.g. --entity=${plural}-item)`);
  }
  return [...words.slice(0, -1), singular].join('-');
}

function singularWord(word: string): string | undefined {
  if (/[^aeiou]ies$/.test(word)) return word.slice(0, -3) + 'y';
  if (/(ss|sh|ch|x|z)es$/.test(word)) return word.slice(0, -2);
  // houses / statuses, buses / bus: no rule tells them apart.
  if (/(ss|us|is|use)s?$/.test(word)) return undefined;
  if (/[a-z0-9]s$/.test(word) && word.length > 2) return word.slice(0, -1);
  return undefined;
}
