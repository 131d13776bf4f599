// Turns the model's token stream into progress messages: the first piece goes out at once, later ones are
// batched so that a fast model does not send one notification per token, but text still arrives as it is made.
export const PROGRESS_INTERVAL_MS = 100;

export interface TokenForwarder {
  onToken(text: string): void;
  /**
   * Sends what is still buffered and resolves once every notification is handed to the transport; await it
   * before returning the result, or the last notifications can arrive after it (the client then drops them).
   */
  flush(): Promise<void>;
}

export function forwardTokens(
  progress: (message: string) => Promise<void>,
  intervalMs = PROGRESS_INTERVAL_MS,
): TokenForwarder {
  let pending = '';
  let timer: NodeJS.Timeout | undefined;
  let lastSent = 0;
  let delivered: Promise<void> = Promise.resolve();
  const send = () => {
    if (timer) clearTimeout(timer);
    timer = undefined;
    if (!pending) return delivered;
    const message = pending;
    pending = '';
    lastSent = Date.now();
    delivered = progress(message);
    return delivered;
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
