// The small vocabulary every config section is written in: one schema per variable (text, bool, whole number,
// choice, URL, list), secrets from X or X_FILE, and one error that lists every problem. Each helper's message
// starts with the variable's name and says what a good value looks like.
import { readFileSync } from 'node:fs';
import { inspect } from 'node:util';
import { z } from 'zod';

export type Env = Record<string, string | undefined>;

/** A bad environment: one line per problem, each naming the variable. main.ts prints them and exits. */
export class ConfigError extends Error {
  readonly problems: string[];
  constructor(problems: string[]) {
    super(`Invalid configuration:\n${problems.map((p) => `  - ${p}`).join('\n')}`);
    this.name = 'ConfigError';
    this.problems = problems;
  }
}

/**
 * A secret string that stays out of logs: JSON.stringify, util.inspect (pino, console) and template strings all
 * print "[redacted]". Call reveal() only where the value is handed over (the auth check, the client library).
 */
export class Secret {
  readonly #value: string;
  constructor(value: string) {
    this.#value = value;
  }
  reveal(): string {
    return this.#value;
  }
  toJSON(): string {
    return '[redacted]';
  }
  toString(): string {
    return '[redacted]';
  }
  [inspect.custom](): string {
    return '[redacted]';
  }
}

// Compose passes unset variables as empty strings (`${VAR:-}`): treat "" as "not set".
const blankToUndefined = (value: unknown) => (typeof value === 'string' && value.trim() === '' ? undefined : value);

/** Trimmed text, or undefined when unset or blank. */
export const text = z.preprocess(blankToUndefined, z.string().trim().optional());

/** true/false, 1/0, yes/no (any case). */
export const bool = (name: string, fallback: boolean) =>
  z.preprocess(
    blankToUndefined,
    z
      .string()
      .transform((v) => v.toLowerCase())
      .pipe(z.enum(['true', 'false', '1', '0', 'yes', 'no'], { error: `${name} must be true or false` }))
      .transform((v) => v === 'true' || v === '1' || v === 'yes')
      .optional()
      .transform((v) => v ?? fallback),
  );

export const wholeNumber = (name: string, min: number, max: number, fallback: number) => {
  const message = `${name} must be a whole number between ${min} and ${max}`;
  return z.preprocess(
    blankToUndefined,
    z
      .string()
      .regex(/^\d+$/, message)
      .transform(Number)
      .refine((n) => n >= min && n <= max, message)
      .optional()
      .transform((v) => v ?? fallback),
  );
};

/** One of a fixed set of words, case-insensitive. */
export const oneOf = <const T extends readonly [string, ...string[]]>(name: string, values: T, fallback: T[number]) => {
  const allowed = values.length === 1 ? values[0] : `${values.slice(0, -1).join(', ')} or ${values.at(-1)}`;
  return z.preprocess(
    (v) => (typeof v === 'string' ? blankToUndefined(v.toLowerCase()) : v),
    z.enum(values, { error: (issue) => `${name} must be ${allowed} (got "${String(issue.input)}")` }).default(fallback),
  );
};

/** An http(s) URL; `message` says which one is meant (it starts with the variable's name). */
export const httpUrl = (message: string, options: { trimTrailingSlash?: boolean } = {}) =>
  text.pipe(
    z
      .string()
      .refine((value) => /^https?:\/\/[^\s/]/.test(value) && URL.canParse(value), { message })
      .transform((value) => (options.trimTrailingSlash ? value.replace(/\/+$/, '') : value))
      .optional(),
  );

/**
 * A comma-separated list; `entry` normalizes one item or returns `{ problem }`. Undefined when unset, so the
 * section picks its own default.
 */
export const list = (name: string, entry: (item: string) => string | { problem: string }) =>
  text.transform((value, ctx) => {
    if (value === undefined) return undefined;
    const items: string[] = [];
    for (const item of value
      .split(',')
      .map((part) => part.trim())
      .filter(Boolean)) {
      const result = entry(item);
      if (typeof result === 'string') items.push(result);
      else ctx.addIssue({ code: 'custom', message: `${name}: ${result.problem}` });
    }
    return items;
  });

const withName = (name: string, message: string) => (message.startsWith(name) ? message : `${name}: ${message}`);

/**
 * Parses each variable with its own schema, so every bad value is reported (not only the first). Problems go to
 * `problems`; the result holds every field that parsed.
 */
export function parseFields<F extends Record<string, z.ZodType>>(
  fields: F,
  env: Env,
  problems: string[],
): Partial<{ [K in keyof F]: z.output<F[K]> }> {
  const values: Record<string, unknown> = {};
  for (const [name, schema] of Object.entries(fields)) {
    const result = schema.safeParse(env[name]);
    if (result.success) values[name] = result.data;
    else problems.push(...result.error.issues.map((issue) => withName(name, issue.message)));
  }
  return values as Partial<{ [K in keyof F]: z.output<F[K]> }>;
}

/**
 * A secret from `NAME` or from the file named by `NAME_FILE` (compose and swarm secrets land in
 * /run/secrets/<name>), never both. `what` names it in messages ("token", "API key").
 */
export function readSecret(env: Env, name: string, what: string, problems: string[]): Secret | undefined {
  const fileVar = `${name}_FILE`;
  const direct = text.parse(env[name]);
  const file = text.parse(env[fileVar]);
  if (direct !== undefined && file !== undefined) {
    problems.push(`${fileVar}: set either ${name} or ${fileVar}, not both`);
    return undefined;
  }
  if (file === undefined) return direct === undefined ? undefined : new Secret(direct);
  let value: string;
  try {
    value = readFileSync(file, 'utf8').trim();
  } catch (error) {
    const reason = (error as NodeJS.ErrnoException).code ?? 'unreadable';
    problems.push(`${fileVar}: cannot read ${file} (${reason}): mount the secret file or unset ${fileVar}`);
    return undefined;
  }
  if (!value) {
    problems.push(`${fileVar}: ${file} is empty: put the ${what} in it`);
    return undefined;
  }
  return new Secret(value);
}
