import { plainToInstance } from 'class-transformer';
import { distance } from 'fastest-levenshtein';
import { getMetadataStorage, validateSync } from 'class-validator';

/*
 * How Strata reads environment variables, shared by the platform's `loadConfig` and every
 * module's `loadSettings`: a class whose property names are the variable names, validated with
 * class-validator, so every message names the variable to fix.
 */

/** `@Transform(toInteger)`: a whole number from its text; anything else is left for `@IsInt()` to refuse. */
export const toInteger = ({ value }: { value: unknown }) =>
  value === undefined || value === '' ? undefined : /^-?\d+$/.test(String(value)) ? Number(value) : value;

/** `@Transform(toBoolean)`: `true`/`1` and `false`/`0`; anything else is left for `@IsBoolean()` to refuse. */
export const toBoolean = ({ value }: { value: unknown }) =>
  value === undefined ? undefined : value === 'true' || value === '1' ? true : value === 'false' || value === '0' ? false : value;

/** `@Transform(toLowerCase)`: a name in any case (`LOG_LEVEL=DEBUG`, as other stacks spell it), compared in lower case. */
export const toLowerCase = ({ value }: { value: unknown }) => (typeof value === 'string' ? value.toLowerCase() : value);

/** `value` parsed as a URL, or undefined where it is none. */
export function parseUrl(value: string): URL | undefined {
  try {
    return new URL(value);
  } catch {
    return undefined;
  }
}

const secrets = new WeakMap<object, Set<string>>();

/** Marks a variable whose value must never appear in a message or a log, e.g. `INTERNAL_AUTH_SECRET`. */
export function Secret(): PropertyDecorator {
  return (prototype, property) => {
    const names = secrets.get(prototype) ?? new Set<string>();
    secrets.set(prototype, names.add(String(property)));
  };
}

/** `scheme://user:password@host` → `scheme://user:***@host`, anywhere in a text. */
const URL_CREDENTIALS = /\b([a-z][a-z0-9+.-]*:\/\/[^\s:/@"']*):[^\s@/"']*@/gi;

/**
 * A text with every URL's password replaced by `***`: what a message or a log line may show of a
 * `DATABASE_URL` or `REDIS_URL`.
 *
 * @example
 * redactCredentials('postgres://app:s3cret@db/strata'); // 'postgres://app:***@db/strata'
 */
export function redactCredentials(text: string): string {
  // Every log line passes through here: most hold no URL, and need no regular expression.
  return text.includes('://') ? text.replace(URL_CREDENTIALS, '$1:***@') : text;
}

/**
 * An invalid value as a message may show it: a URL's user and password are hidden whole, up to its
 * last `@`, as a URL that does not parse cannot be trusted to end its password where
 * {@link redactCredentials} looks (an unencoded `/` or `@` in it showed the rest).
 */
function redactUserinfo(value: unknown): unknown {
  return typeof value === 'string' ? value.replace(/^([a-z][a-z0-9+.-]*:\/\/)[^]*@/i, '$1***@') : value;
}

/**
 * A failure whose message says all a person needs to act on it, what is wrong and what to change:
 * a process it stops prints the message alone ({@link describeFailure}), not a stack trace that
 * buries it.
 */
export class ExplainedError extends Error {}

/** What a process prints when `error` stops it: an {@link ExplainedError}'s message, else the stack; credentials redacted. */
export function describeFailure(error: unknown): string {
  return redactCredentials(error instanceof ExplainedError ? error.message : String((error as Error | null)?.stack ?? error));
}

export class ConfigurationError extends ExplainedError {
  constructor(readonly problems: string[]) {
    super(`Invalid configuration:\n  - ${problems.join('\n  - ')}`);
    this.name = 'ConfigurationError';
  }
}

/**
 * Reads the variables `Variables` declares (its decorated properties) from `env` and validates
 * them. Empty values count as unset, so a property's initialiser is its default. Only the
 * declared variables are copied: the result never carries the rest of the environment.
 */
export function readVariables<T extends object>(Variables: new () => T, env: NodeJS.ProcessEnv): { values: T; problems: string[] } {
  const declared = new Set(
    getMetadataStorage()
      .getTargetValidationMetadatas(Variables, '', true, false)
      .map((rule) => rule.propertyName),
  );
  for (const name of declared) namesRead.add(name);
  const present = Object.fromEntries(
    Object.entries(env).filter(([name, value]) => declared.has(name) && value !== undefined && value !== ''),
  );
  const values = plainToInstance(Variables, present);
  const errors = validateSync(values, { forbidUnknownValues: false });
  const secret = secrets.get(Variables.prototype);
  const problems = errors.map((error) => {
    // One message per variable: the rule written first (`@IsInt()` above `@Min()`), which runs
    // last, as decorators apply bottom-up. So `PORT=abc` says "must be an integer number".
    const message = Object.values(error.constraints ?? {}).at(-1) ?? `${error.property} is invalid`;
    return secret?.has(error.property) ? message : redactCredentials(`${message} (got ${JSON.stringify(redactUserinfo(error.value))})`);
  });
  return { values, problems };
}

/** Every variable name this process has read so far, through {@link readVariables}. */
const namesRead = new Set<string>();

/**
 * A set variable that nothing in this process read but that is one or two typos away from one that
 * was (`DATABSE_URL`), each with the name it most likely meant: a misspelled setting otherwise
 * falls back to its default without a word. Asked once the process has read all it reads (its
 * modules' settings included). Only names of six characters or more, and two typos only from
 * nine: `HOME` is not a misspelled `HOST`, nor `PORT0` a misspelled `PORT`.
 */
export function misspelledVariables(env: NodeJS.ProcessEnv): { name: string; meant: string }[] {
  const known = [...namesRead];
  return Object.keys(env)
    .filter((name) => /^[A-Z][A-Z0-9_]{5,}$/.test(name) && !namesRead.has(name) && env[name] !== '')
    .flatMap((name) => {
      const allowed = name.length >= 9 ? 2 : 1;
      const [meant] = known
        .map((candidate) => ({ candidate, typos: distance(name, candidate) }))
        .filter(({ typos }) => typos <= allowed)
        .sort((a, b) => a.typos - b.typos);
      return meant ? [{ name, meant: meant.candidate }] : [];
    });
}
