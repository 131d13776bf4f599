// Stateless 2026-07-28 serving builds an McpServer per request, and tools/list converts every tool schema to
// JSON Schema on each new instance. The conversion only depends on the schema, so it is done once per schema
// object and shared by every instance: a wrapper that inherits the schema (validation, zod internals, symbols)
// and memoizes `~standard.jsonSchema`.
import type { StandardSchemaWithJSON } from '@modelcontextprotocol/server';

type JsonSchemaOptions = Parameters<StandardSchemaWithJSON['~standard']['jsonSchema']['input']>[0];

const wrappers = new WeakMap<object, object>();

export function withCachedJsonSchema<T>(schema: T): T {
  if (schema === null || typeof schema !== 'object') return schema;
  const standard = (schema as Partial<StandardSchemaWithJSON>)['~standard'];
  if (!standard?.jsonSchema) return schema;
  const known = wrappers.get(schema);
  if (known) return known as T;
  const memo = new Map<string, Record<string, unknown>>();
  const memoized = (io: 'input' | 'output') => (options: JsonSchemaOptions) => {
    const key = `${io}:${options.target}`;
    let json = memo.get(key);
    if (!json) {
      json = standard.jsonSchema[io](options);
      memo.set(key, json);
    }
    return json;
  };
  const wrapper = Object.create(schema) as object;
  Object.defineProperty(wrapper, '~standard', {
    value: { ...standard, jsonSchema: { input: memoized('input'), output: memoized('output') } },
    enumerable: false,
  });
  wrappers.set(schema, wrapper);
  return wrapper as T;
}
