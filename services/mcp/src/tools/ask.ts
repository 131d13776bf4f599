// ask: one question to the configured model; the answer streams to the caller as progress while it is written.
import { z } from 'zod';
import { LLM_PROVIDER_IDS } from '../llm/types.ts';
import { forwardTokens } from './stream-progress.ts';
import { requiredText } from './text-input.ts';
import { defineTool } from './types.ts';

export const ask = defineTool({
  name: 'ask',
  title: 'Ask the model',
  description:
    'Sends a question to the configured LLM (Ollama, an OpenAI-compatible API or Anthropic) and returns its answer. ' +
    'The answer streams as progress notifications while the model writes it.',
  inputSchema: z.object({
    question: requiredText(8_000, 'question').describe('The question or instruction for the model.'),
    system: z.string().max(4_000).optional().describe('Optional system prompt that sets tone or role.'),
  }),
  outputSchema: z.object({
    answer: z.string().describe("The model's full answer."),
    provider: z.enum(LLM_PROVIDER_IDS),
    model: z.string(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async handler({ question, system }, { llm, signal, progress }) {
    const stream = forwardTokens(progress);
    let text: string;
    try {
      ({ text } = await llm.chat({
        messages: [
          ...(system ? [{ role: 'system' as const, content: system }] : []),
          { role: 'user' as const, content: question },
        ],
        signal,
        onToken: stream.onToken,
      }));
    } finally {
      await stream.flush(); // nothing may trail the result
    }
    return { text, structured: { answer: text, provider: llm.name, model: llm.model } };
  },
});
