// Turns the model's token stream into progress messages: the first piece goes out at once, later ones are
// batched so that a fast model does not send one notification per token, but text still arrives as it is made.
export const PROGRESS_INTERVAL_MS = 100;

export interface TokenForwarder {
  onToken(text: string): void;
  /** Sends what is still buffered; call before returning the result. */
  flush(): void;
}

export function forwardTokens(progress: (message: string) => void, intervalMs = PROGRESS_INTERVAL_MS): TokenForwarder {
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  let lastSent = 0;
  const send = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!pending) return;
    const message = pending;
    pending = '';
    lastSent = Date.now();
    progress(message);
  };
  return {
    onToken(text) {
      pending += text;
      const wait = lastSent + intervalMs - Date.now();
      if (wait <= 0) send();
      else timer ??= setTimeout(send, wait);
    },
    flush: send,
  };
}
