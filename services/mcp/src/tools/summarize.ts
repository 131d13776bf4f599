// summarize: text in, summary out, at the length asked for. The prompt text is shared with the MCP prompt.
import { z } from 'zod';
import { type ChatMessage, LLM_PROVIDER_IDS } from '../llm/types.ts';
import { forwardTokens } from './stream-progress.ts';
import { requiredText } from './text-input.ts';
import { defineTool } from './types.ts';

export const SUMMARY_LENGTHS = ['short', 'medium', 'long'] as const;
export type SummaryLength = (typeof SUMMARY_LENGTHS)[number];

const LENGTH_INSTRUCTIONS: Record<SummaryLength, string> = {
  short: 'in one sentence',
  medium: 'in three to five sentences',
  long: 'in up to three paragraphs, keeping every important point',
};

/** The conversation that asks for a summary; used by the tool and by the `summarize` prompt. */
export function summaryMessages(text: string, length: SummaryLength): ChatMessage[] {
  return [
    {
      role: 'system',
      content: 'You summarize texts faithfully. Use only what the text says. Answer with the summary only.',
    },
    { role: 'user', content: `Summarize the following text ${LENGTH_INSTRUCTIONS[length]}.\n\n---\n${text}\n---` },
  ];
}

export const summarize = defineTool({
  name: 'summarize',
  title: 'Summarize text',
  description:
    'Summarizes a text with the configured LLM. length: short (one sentence), medium (3-5 sentences) or long.',
  inputSchema: z.object({
    text: requiredText(100_000, 'text').describe('The text to summarize.'),
    length: z.enum(SUMMARY_LENGTHS).default('medium').describe('How long the summary should be.'),
  }),
  outputSchema: z.object({
    summary: z.string(),
    length: z.enum(SUMMARY_LENGTHS),
    provider: z.enum(LLM_PROVIDER_IDS),
    model: z.string(),
  }),
  annotations: { readOnlyHint: true, destructiveHint: false, idempotentHint: false, openWorldHint: true },
  async handler({ text, length }, { llm, signal, progress }) {
    const stream = forwardTokens(progress);
    let result: { text: string };
    try {
      result = await llm.chat({ messages: summaryMessages(text, length), signal, onToken: stream.onToken });
    } finally {
      await stream.flush(); // nothing may trail the result
    }
    return { text: result.text, structured: { summary: result.text, length, provider: llm.name, model: llm.model } };
  },
});
