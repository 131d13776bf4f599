// A required text input whose JSON Schema (MCP tools/list, /openapi.json) says exactly what the tool accepts: at
// most `maxLength` characters and at least one that is not whitespace, both checked on the text as sent; the
// model then gets it trimmed. Trimming before the checks (as the tools did) accepted a text over maxLength with
// spaces around it and refused one of only U+00A0 although its minLength was met: schemathesis found both.
// The whitespace class is written out (ECMAScript's WhiteSpace and LineTerminator, what String#trim removes)
// rather than \s, which means something else in other regex engines (Python's counts \x1c-\x1f, not U+FEFF).
import { z } from 'zod';

const WHITESPACE = String.raw`\t\n\u000b\f\r \u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000\ufeff`;
export const NOT_BLANK = new RegExp(`[^${WHITESPACE}]`);

export function requiredText(maxLength: number, name: string) {
  return z.string().max(maxLength).regex(NOT_BLANK, `${name} must not be empty`).trim();
}
