// RFC 9457 problem details: every REST error is application/problem+json with a title a person understands.
import type { Response } from 'express';
import { sendProblemJson } from '../runtime/jsonrpc-error.ts';

export interface FieldError {
  /** Dotted path of the field ("question", "messages.0.content"); empty for the body itself. */
  path: string;
  message: string;
}

export interface Problem {
  type?: string;
  title: string;
  status: number;
  detail: string;
  errors?: FieldError[];
  [extension: string]: unknown;
}

export function sendProblem(res: Response, problem: Problem): void {
  const { status, detail, ...extra } = problem;
  sendProblemJson(res, status, detail, extra);
}

/** JSON Schema of a problem body, for the OpenAPI document. */
export const problemJsonSchema = {
  type: 'object',
  required: ['type', 'title', 'status', 'detail'],
  properties: {
    type: { type: 'string' },
    title: { type: 'string' },
    status: { type: 'integer' },
    detail: { type: 'string' },
    errors: {
      type: 'array',
      items: {
        type: 'object',
        required: ['path', 'message'],
        properties: { path: { type: 'string' }, message: { type: 'string' } },
      },
    },
  },
} as const;
