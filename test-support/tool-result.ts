/** The text of an MCP tool result: its `text` content parts joined (empty when it has none). */
export function textOf(result: object): string {
  const content = 'content' in result && Array.isArray(result.content) ? (result.content as { text?: unknown }[]) : [];
  return content.map((part) => (typeof part.text === 'string' ? part.text : '')).join('');
}
