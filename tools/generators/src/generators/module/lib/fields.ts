import { JAVASCRIPT_RESERVED_WORDS, POSTGRES_RESERVED_WORDS } from './reserved-words';

export const FIELD_TYPES = ['string', 'text', 'int', 'boolean', 'datetime', 'uuid'] as const;
export type FieldType = (typeof FIELD_TYPES)[number];

/** One field of the entity, with every spelling the templates need. */
export interface Field {
  /** camelCase: the DTO, record and entity property, and the JSON property. */
  name: string;
  type: FieldType;
  optional: boolean;
  unique: boolean;
  /** snake_case column. */
  column: string;
  /** PascalCase, for class names (`Duplicate<Entity><Field>Error`). */
  className: string;
  /** Lower-case words, for messages: `amountCents` gives `amount cents`. */
  words: string;
}

const FIELD_PATTERN = /^([a-z][a-zA-Z0-9]*):([a-z]+)(\?)?(?::(unique))?$/;
/** PostgreSQL truncates identifiers beyond 63 bytes. */
export const MAX_IDENTIFIER_LENGTH = 63;

/**
 * Parses `--fields`: `name:type[?][:unique]`, comma separated. Throws a one-line error for bad
 * syntax, an unknown type, a duplicate, reserved or too long name, or a unique boolean. `reserved`
 * are the generated properties (camelCase): a field is refused whose name or column is one of theirs.
 */
export function parseFields(spec: string, reserved: readonly string[]): Field[] {
  const entries = spec.split(',').map((entry) => entry.trim());
  if (entries.length === 0 || entries.some((entry) => entry === '')) {
    throw new Error(`Invalid --fields "${spec}": expected name:type[?][:unique], comma separated, e.g. number:string:unique,paid:boolean?`);
  }
  const fields = entries.map((entry) => parseField(entry, reserved));
  // Two names that differ only in case (`fooBar`, `fooBAR`) are one column.
  const seen = new Map<string, string>();
  for (const field of fields) {
    const other = seen.get(field.column);
    if (other === field.name) throw new Error(`Invalid --fields: the field "${field.name}" (column ${field.column}) is given twice`);
    if (other !== undefined) {
      throw new Error(`Invalid --fields: the fields "${other}" and "${field.name}" are both the column ${field.column}`);
    }
    seen.set(field.column, field.name);
  }
  return fields;
}

function parseField(entry: string, reserved: readonly string[]): Field {
  const match = FIELD_PATTERN.exec(entry);
  if (!match) {
    throw new Error(
      `Invalid field "${entry}": expected name:type[?][:unique] with a camelCase name, e.g. amountCents:int or paid:boolean?`,
    );
  }
  const [, name, type, optional, unique] = match;
  if (!(FIELD_TYPES as readonly string[]).includes(type)) {
    throw new Error(`Invalid field "${entry}": unknown type "${type}"; the types are ${FIELD_TYPES.join(', ')}`);
  }
  const column = snakeCase(name);
  // Generated properties and columns both: `createdAT` is the column created_at.
  if (reserved.includes(name) || reserved.some((generated) => snakeCase(generated) === column)) {
    throw new Error(
      `Invalid field "${entry}": ${reserved.join(', ')} (columns ${reserved.map(snakeCase).join(', ')}) are generated; choose another name`,
    );
  }
  if (POSTGRES_RESERVED_WORDS.has(column)) throw new Error(`Invalid field "${entry}": "${column}" is a reserved word in PostgreSQL`);
  if (JAVASCRIPT_RESERVED_WORDS.has(name)) throw new Error(`Invalid field "${entry}": "${name}" is a reserved word in JavaScript`);
  if (column.length > MAX_IDENTIFIER_LENGTH)
    throw new Error(`Invalid field "${entry}": the column name is longer than ${MAX_IDENTIFIER_LENGTH} characters`);
  if (unique && type === 'boolean') throw new Error(`Invalid field "${entry}": a boolean cannot be unique (it has two values)`);
  if (unique && type === 'text') {
    // Its unique index would refuse values past about 2,700 bytes with a database error, a 500.
    throw new Error(
      `Invalid field "${entry}": a text cannot be unique (up to 10,000 characters, more than PostgreSQL can index); a string (up to 200) can`,
    );
  }
  return {
    name,
    type: type as FieldType,
    optional: optional === '?',
    unique: unique === 'unique',
    column,
    className: name[0].toUpperCase() + name.slice(1),
    words: column.replace(/_/g, ' '),
  };
}

/** `amountCents` gives `amount_cents`, `fooURL` gives `foo_url`. */
export function snakeCase(camel: string): string {
  return camel
    .replace(/([a-z0-9])([A-Z])/g, '$1_$2')
    .replace(/([A-Z])([A-Z][a-z])/g, '$1_$2')
    .toLowerCase();
}

/** Strings compare without regard to case, like customers' emails. */
export const isTextual = (field: Field): boolean => field.type === 'string' || field.type === 'text';
