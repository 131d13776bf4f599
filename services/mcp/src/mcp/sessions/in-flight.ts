// Counts each JSON-RPC request a session's transport receives as in-flight work until its response is sent, so
// shutdown waits for calls that answer on a stream (legacy SSE answers after POST /messages returned 202).
import {
  isJSONRPCErrorResponse,
  isJSONRPCRequest,
  isJSONRPCResultResponse,
  type RequestId,
  type Transport,
} from '@modelcontextprotocol/server';
import type { Lifecycle } from '../../runtime/lifecycle.ts';
import { tapTransport } from '../sdk-adapter.ts';

export interface InFlight {
  /** The transport to connect the session's McpServer to. */
  transport: Transport;
  /** Ends every call still counted (the session went away mid-call). */
  abandon(): void;
}

/** `onClosed` runs once the transport closed, after its calls stopped counting. */
export function trackInFlight(transport: Transport, lifecycle: Lifecycle, onClosed: () => void): InFlight {
  const pending = new Map<RequestId, () => void>();
  const abandon = () => {
    for (const end of pending.values()) end();
    pending.clear();
  };
  const tapped = tapTransport(transport, {
    received(message) {
      if (!isJSONRPCRequest(message)) return;
      pending.get(message.id)?.();
      pending.set(message.id, lifecycle.begin());
    },
    sent(message) {
      if ((isJSONRPCResultResponse(message) || isJSONRPCErrorResponse(message)) && message.id !== undefined) {
        pending.get(message.id)?.();
        pending.delete(message.id);
      }
    },
    closed() {
      abandon();
      onClosed();
    },
  });
  return { transport: tapped, abandon };
}
