// The one interface the tools see. Each implementation wraps an official client (npm `ollama`, npm `openai`).
export type LlmProviderId = 'ollama' | 'openai';

export interface ChatMessage {
  role: 'system' | 'user' | 'assistant';
  content: string;
}

export interface ChatRequest {
  messages: ChatMessage[];
  /** Aborting it aborts the upstream HTTP request (MCP cancel, client gone). */
  signal?: AbortSignal;
  /** Called with each piece of text as the model produces it. */
  onToken?: (text: string) => void;
}

export type HealthStatus = { ok: true } | { ok: false; reason: string };

/** The one deadline of a readiness probe: /readyz answers within it, with the provider's reason. */
export const HEALTH_TIMEOUT_MS = 2_500;

export interface LlmProvider {
  name: LlmProviderId;
  model: string;
  /** Where the provider is reached, with any credentials in the URL removed. */
  baseUrl: string;
  chat(request: ChatRequest): Promise<{ text: string }>;
  listModels(signal?: AbortSignal): Promise<string[]>;
  /**
   * Cheap probe for /readyz: reachable, and the configured model is there. Never throws, and answers within
   * HEALTH_TIMEOUT_MS (providers build it with probeHealth from policy.ts, which enforces that).
   */
  health(): Promise<HealthStatus>;
}

/**
 * What went wrong, in terms a caller can act on. `kind` drives retries (transient ones only) and the REST
 * status code; `message` is the sentence shown to people and is safe to show (no secrets).
 */
export type LlmErrorKind =
  | 'unreachable' // connection refused/reset, DNS: transient
  | 'rate_limited' // 429: transient
  | 'upstream' // 5xx: transient
  | 'timeout' // LLM_TIMEOUT_SECONDS elapsed
  | 'auth' // 401/403: fix the key
  | 'model_not_found' // pull or fix the model name
  | 'bad_request' // other 4xx
  | 'bad_response' // garbage on the wire, stream cut short
  | 'cancelled'; // the caller went away

export const TRANSIENT_KINDS: ReadonlySet<LlmErrorKind> = new Set(['unreachable', 'rate_limited', 'upstream']);

export class LlmError extends Error {
  readonly kind: LlmErrorKind;
  readonly provider: LlmProviderId;
  /** Seconds the upstream asked us to wait (Retry-After), when it said so. */
  readonly retryAfterSeconds: number | undefined;
  constructor(
    kind: LlmErrorKind,
    provider: LlmProviderId,
    message: string,
    options?: { cause?: unknown; retryAfterSeconds?: number },
  ) {
    super(message, options?.cause === undefined ? undefined : { cause: options.cause });
    this.name = 'LlmError';
    this.kind = kind;
    this.provider = provider;
    this.retryAfterSeconds = options?.retryAfterSeconds;
  }
  get transient(): boolean {
    return TRANSIENT_KINDS.has(this.kind);
  }
}
