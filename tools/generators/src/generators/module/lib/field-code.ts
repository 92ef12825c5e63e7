import { isTextual, type Field } from './fields';

/**
 * The code each field type contributes to the templates: validation, columns, mapping and test
 * values. One table, so adding a type is one place.
 */
interface TypeCode {
  tsType: string;
  /** The constructor `@ApiProperty` needs for a nullable property (metadata cannot say). */
  swaggerType: string;
  sqlType: string;
  typeormType: string;
  validators: string[];
  apiProperty: string[];
  /** A fixed, valid value as a TypeScript literal. */
  sample: string;
  /** A value unique per call, as a TypeScript expression. */
  unique: (field: Field) => string;
  /** An invalid value as a TypeScript literal, and what the 400's message says about it. */
  bad: string;
  /** A valid value as a TypeScript literal, unlike `sample`: what makes a second body another request. */
  other: string;
}

const INT32 = { min: '-2147483648', max: '2147483647' };
const DATETIME_DESCRIPTION = 'RFC 3339, with an offset (Z or ±hh:mm); stored to the millisecond';

const CODE: Record<Field['type'], TypeCode> = {
  string: {
    tsType: 'string',
    swaggerType: 'String',
    sqlType: 'text',
    typeormType: 'text',
    // IsText (from @strata/platform/ports): trimmed, not blank, no NUL, which PostgreSQL text refuses.
    validators: ['IsText({ max: 200 })'],
    apiProperty: ["example: 'Example'", 'minLength: 1', 'maxLength: 200'],
    sample: "'Example'",
    unique: (field) => `\`${field.name}-\${randomUUID()}\``,
    bad: '42',
    other: "'Another example'",
  },
  text: {
    tsType: 'string',
    swaggerType: 'String',
    sqlType: 'text',
    typeormType: 'text',
    validators: ['IsText({ min: 0, max: 10000 })'],
    apiProperty: ["example: 'Some longer text'", 'maxLength: 10000'],
    sample: "'Some longer text'",
    unique: (field) => `\`${field.name}-\${randomUUID()}\``,
    bad: '42',
    other: "'Some other text'",
  },
  int: {
    tsType: 'number',
    // OpenAPI's integer: Swagger reads a TypeScript number as `number`, which a client generator types as a float.
    swaggerType: "'integer'",
    sqlType: 'integer',
    typeormType: 'integer',
    validators: [`IsIntBetween({ min: ${INT32.min}, max: ${INT32.max} })`],
    apiProperty: ['example: 42', `minimum: ${INT32.min}`, `maximum: ${INT32.max}`],
    sample: '42',
    unique: () => 'randomInt(1, 2 ** 31 - 1)',
    bad: '1.5',
    other: '7',
  },
  boolean: {
    tsType: 'boolean',
    swaggerType: 'Boolean',
    sqlType: 'boolean',
    typeormType: 'boolean',
    validators: ['IsBoolean()'],
    apiProperty: ['example: true'],
    sample: 'true',
    unique: () => 'true',
    bad: "'yes'",
    other: 'false',
  },
  datetime: {
    tsType: 'string',
    swaggerType: 'String',
    sqlType: 'timestamptz',
    typeormType: 'timestamptz',
    // IsDateTime (from @strata/platform/ports): RFC 3339 with an offset (what `new Date` reads the
    // same everywhere), a date and time that exist, years 1 to 9999: every accepted value is stored as sent.
    validators: ['IsDateTime()'],
    apiProperty: ["example: '2026-01-02T03:04:05.000Z'", "format: 'date-time'", `description: '${DATETIME_DESCRIPTION}'`],
    sample: "'2026-01-02T03:04:05.000Z'",
    unique: () => 'new Date(Date.UTC(2000, 0, 1) + randomInt(0, 2 ** 40)).toISOString()',
    bad: "'not a date'",
    other: "'2027-06-07T08:09:10.000Z'",
  },
  uuid: {
    tsType: 'string',
    swaggerType: 'String',
    sqlType: 'uuid',
    typeormType: 'uuid',
    // IsId (from @strata/platform/ports): lower-cased on the way in, as PostgreSQL answers it: the 201 and a later GET agree.
    validators: ['IsId()'],
    apiProperty: ["example: '3f2504e0-4f89-41d3-9a0c-0305e82c3301'", "format: 'uuid'"],
    sample: "'3f2504e0-4f89-41d3-9a0c-0305e82c3301'",
    unique: () => 'randomUUID()',
    bad: "'not-a-uuid'",
    other: "'9a1f7a52-7c3e-4b8e-a1d2-6f0e3c5b8d41'",
  },
};

const code = (field: Field): TypeCode => CODE[field.type];
const nullable = (field: Field, type: string): string => (field.optional ? `${type} | null` : type);

/** The record's (and the DTO's) TypeScript type, `| null` when optional. */
export const recordType = (field: Field): string => nullable(field, code(field).tsType);

/** The decorators and declaration of a field in the create DTO. */
export function createDtoProperty(field: Field): string {
  const api = [
    ...code(field).apiProperty,
    ...(field.optional ? ['required: false', 'nullable: true'] : []),
    ...(field.optional || field.type === 'int' ? [`type: ${code(field).swaggerType}`] : []),
  ];
  const validators = [...(field.optional ? ['IsOptional()'] : []), ...code(field).validators];
  const declaration = field.optional ? `${field.name}?: ${recordType(field)};` : `${field.name}!: ${code(field).tsType};`;
  return [`@ApiProperty({ ${api.join(', ')} })`, ...validators.map((v) => `@${v}`), declaration].join('\n  ');
}

/** The decorators that come from `@strata/platform/ports` rather than class-validator. */
const PORTS_VALIDATORS = new Set(['IsDateTime', 'IsId', 'IsIntBetween', 'IsText']);

function validatorsUsed(fields: Field[]): string[] {
  const used = new Set<string>();
  for (const field of fields) {
    if (field.optional) used.add('IsOptional');
    for (const validator of code(field).validators) used.add(validator.slice(0, validator.indexOf('(')));
  }
  return [...used].sort();
}

/** The class-validator decorators the create DTO uses, sorted. */
export const validatorImports = (fields: Field[]): string[] => validatorsUsed(fields).filter((name) => !PORTS_VALIDATORS.has(name));

/** What the DTO file imports from `@strata/platform/ports`, sorted: `IsDateTime`, `IsId`, `IsIntBetween` and `IsText` for the fields that use them, and the page types. */
export const portsImports = (fields: Field[]): string[] => [
  ...validatorsUsed(fields).filter((name) => PORTS_VALIDATORS.has(name)),
  'PageQuery',
  'type Page',
];

/** The declaration of a field in the response DTO. */
export function dtoProperty(field: Field): string {
  const options = [
    ...(field.type === 'datetime' ? ["format: 'date-time'", `description: '${DATETIME_DESCRIPTION}'`] : []),
    ...(field.type === 'uuid' ? ["format: 'uuid'"] : []),
    ...(field.optional ? ['nullable: true'] : []),
    ...(field.optional || field.type === 'int' ? [`type: ${code(field).swaggerType}`] : []),
  ];
  return `@ApiProperty(${options.length ? `{ ${options.join(', ')} }` : ''}) ${field.name}!: ${recordType(field)};`;
}

/** The TypeORM column of a field. */
export function entityColumn(field: Field): string {
  const type = field.type === 'datetime' ? 'Date' : code(field).tsType;
  const options = [`name: '${field.column}'`, `type: '${code(field).typeormType}'`, ...(field.optional ? ['nullable: true'] : [])];
  return `@Column({ ${options.join(', ')} })\n  ${field.name}!: ${nullable(field, type)};`;
}

/** The column in `CREATE TABLE`, its name padded to `width`. */
export const sqlColumn = (field: Field, width: number): string =>
  `${field.column.padEnd(width)} ${code(field).sqlType}${field.optional ? '' : ' NOT NULL'}`;

/** The unique index of a field: on `lower(column)` for strings, so case does not matter. */
export const uniqueIndexName = (table: string, field: Field): string =>
  `${table}_${field.column}${isTextual(field) ? '_lower_key' : '_key'}`;
export const uniqueIndexTarget = (field: Field): string => (isTextual(field) ? `lower(${field.column})` : field.column);

/** Entity value to record value (`from` is e.g. `invoice`): dates become ISO strings. */
export function toRecordValue(field: Field, from: string): string {
  const value = `${from}.${field.name}`;
  if (field.type !== 'datetime') return value;
  return field.optional ? `${value} === null ? null : ${value}.toISOString()` : `${value}.toISOString()`;
}

/** Record value to entity value: ISO strings become dates. */
export function toEntityValue(field: Field, from: string): string {
  const value = `${from}.${field.name}`;
  if (field.type !== 'datetime') return value;
  return field.optional ? `${value} === null ? null : new Date(${value})` : `new Date(${value})`;
}

/** Create-DTO value to record value: an absent optional field is stored as null. */
export const toNewRecordValue = (field: Field, from: string): string =>
  field.optional ? `${from}.${field.name} ?? null` : `${from}.${field.name}`;

export const sampleValue = (field: Field): string => code(field).sample;
/** A test value: unique per call for a unique field, the fixed sample otherwise. */
export const testValue = (field: Field): string => (field.unique ? code(field).unique(field) : code(field).sample);
export const badValue = (field: Field): string => code(field).bad;
/** A valid value other than the sample (and, but for a one-in-billions draw, the unique test value). */
export const otherValue = (field: Field): string => code(field).other;
/** True when the tests need `randomInt` (unique int or datetime fields). */
export const needsRandomInt = (fields: Field[]): boolean => fields.some((f) => f.unique && (f.type === 'int' || f.type === 'datetime'));
/** A value equal to `expression` for the unique index (upper case for strings: the index ignores case). */
export const sameForIndex = (field: Field, expression: string): string =>
  isTextual(field) ? `(${expression} as string).toUpperCase()` : expression;
