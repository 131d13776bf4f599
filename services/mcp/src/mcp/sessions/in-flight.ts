// Counts each JSON-RPC request a session's transport receives as in-flight work until its response is sent, so
// shutdown waits for calls that answer on a stream (legacy SSE answers after POST /messages returned 202).
import type { RequestId, Transport } from '@modelcontextprotocol/server';
import type { Lifecycle } from '../../runtime/lifecycle.ts';
import { tapTransport } from '../sdk-adapter.ts';

export interface InFlight {
  /** The transport to connect the session's McpServer to. */
  transport: Transport;
  /** Ends every call still counted (the session went away mid-call). */
  abandon(): void;
  /** True when no call is in flight. */
  idle(): boolean;
}

/**
 * `onClosed` runs once the transport closed, after its calls stopped counting. `onCancelled` runs when the client
 * cancels a call in flight (notifications/cancelled): the call gets no response (the MCP spec and the SDK agree),
 * so it stops counting here, or it would count until the session closed and shutdown would wait for it.
 */
export function trackInFlight(
  transport: Transport,
  lifecycle: Lifecycle,
  onClosed: () => void,
  onCancelled?: (requestId: RequestId) => void,
): InFlight {
  const pending = new Map<RequestId, () => void>();
  const abandon = () => {
    for (const end of pending.values()) end();
    pending.clear();
  };
  // Every message seen here was validated by the SDK transport that received it, or built by the SDK to send:
  // it is told apart by its members (the SDK's type guards would validate it with zod again, on every message).
  const tapped = tapTransport(transport, {
    received(message) {
      if (!('method' in message)) return;
      if (!('id' in message) || message.id === undefined) {
        const cancelled = cancelledRequestId(message);
        if (cancelled === undefined || !pending.has(cancelled)) return;
        pending.get(cancelled)?.();
        pending.delete(cancelled);
        onCancelled?.(cancelled);
        return;
      }
      pending.get(message.id)?.();
      pending.set(message.id, lifecycle.begin());
    },
    sent(message) {
      if ('method' in message || message.id === undefined) return;
      pending.get(message.id)?.();
      pending.delete(message.id);
    },
    closed() {
      abandon();
      onClosed();
    },
  });
  return { transport: tapped, abandon, idle: () => pending.size === 0 };
}

/** The request a notifications/cancelled message cancels, if it is one. */
function cancelledRequestId(notification: { method: string; params?: unknown }): RequestId | undefined {
  if (notification.method !== 'notifications/cancelled') return undefined;
  const requestId = (notification.params as { requestId?: unknown } | undefined)?.requestId;
  return typeof requestId === 'string' || typeof requestId === 'number' ? requestId : undefined;
}
