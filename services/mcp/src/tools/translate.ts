// translate: the copyable example tool (docs/development.md, "Adding a tool"). It is type-checked and tested
// (test/translate.test.ts) but not served: add it to the list in tools/index.ts to serve it, or copy both files
// under a new name as the start of your own tool.
import { z } from 'zod';
import { forwardTokens } from './stream-progress.ts';
import { requiredText } from './text-input.ts';
import { defineTool } from './types.ts';

export const translate = defineTool({
  name: 'translate',
  title: 'Translate text',
  description: 'Translates a text into another language with the configured LLM. The translation streams as progress.',
  inputSchema: z.object({
    text: requiredText(20_000, 'text').describe('The text to translate.'),
    to: z.string().trim().min(2).max(40).describe('Target language, e.g. "German".'),
  }),
  outputSchema: z.object({ translation: z.string(), to: z.string() }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async handler({ text, to }, { llm, signal, progress }) {
    const stream = forwardTokens(progress); // the text reaches the caller while the model writes it
    let translation: string;
    try {
      ({ text: translation } = await llm.chat({
        messages: [
          { role: 'system', content: 'You translate. Answer with the translation only.' },
          { role: 'user', content: `Translate into ${to}:\n\n${text}` },
        ],
        signal, // a cancelled call aborts the request to the model
        onToken: stream.onToken,
      }));
    } finally {
      await stream.flush(); // await it: a notification sent after the result is dropped by the client
    }
    return { text: translation, structured: { translation, to } };
  },
});
