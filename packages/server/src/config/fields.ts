/**
 * Field builders for the configuration schema. Each field parses one raw
 * string into a typed value or explains, in one line, what to set instead.
 */
export type ParseResult<T> = { ok: true; value: T } | { ok: false; expected: string };

export interface Field<T> {
  readonly env: string;
  /** Documentation default shown in the table (may describe a derived value). */
  readonly defaultDoc: string;
  readonly doc: string;
  /** Value when unset; `undefined` means "derived later" (see load-config). */
  readonly fallback: T;
  readonly parse: (raw: string) => ParseResult<T>;
}

const ok = <T>(value: T): ParseResult<T> => ({ ok: true, value });
const fail = <T>(expected: string): ParseResult<T> => ({ ok: false, expected });

export function integer(
  env: string,
  fallback: number,
  doc: string,
  { min, max }: { min: number; max: number },
): Field<number> {
  return {
    env,
    fallback,
    doc,
    defaultDoc: String(fallback),
    parse: (raw) => {
      if (!/^\d+$/.test(raw.trim())) return fail(`a whole number from ${min} to ${max}`);
      const value = Number(raw.trim());
      return value >= min && value <= max
        ? ok(value)
        : fail(`a whole number from ${min} to ${max}`);
    },
  };
}

export function oneOf<const V extends string>(
  env: string,
  values: readonly V[],
  fallback: V,
  doc: string,
): Field<V> {
  return {
    env,
    fallback,
    doc,
    defaultDoc: fallback,
    parse: (raw) =>
      (values as readonly string[]).includes(raw.trim())
        ? ok(raw.trim() as V)
        : fail(`one of ${values.join(", ")}`),
  };
}

export function flag(env: string, doc: string): Field<boolean> {
  return {
    env,
    fallback: false,
    doc,
    defaultDoc: "off",
    parse: (raw) => {
      const value = raw.trim().toLowerCase();
      if (["1", "true", "yes", "on"].includes(value)) return ok(true);
      if (["0", "false", "no", "off", ""].includes(value)) return ok(false);
      return fail("1 (on) or 0 (off)");
    },
  };
}

export function text<T extends string | null>(
  env: string,
  fallback: T,
  defaultDoc: string,
  doc: string,
  check: (value: string) => string | null = () => null,
): Field<string | T> {
  return {
    env,
    fallback,
    doc,
    defaultDoc,
    parse: (raw) => {
      const value = raw.trim();
      if (value === "") return fail("a non-empty value, or leave it unset");
      const problem = check(value);
      return problem === null ? ok(value) : fail(problem);
    },
  };
}

export function custom<T>(
  env: string,
  fallback: T,
  defaultDoc: string,
  doc: string,
  parse: (raw: string) => ParseResult<T>,
): Field<T> {
  return { env, fallback, doc, defaultDoc, parse };
}

export { fail, ok };
