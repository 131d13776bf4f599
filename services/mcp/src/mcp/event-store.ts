// Resumability for 2025 Streamable HTTP sessions: the last N messages of a session, so a client that lost its
// SSE stream can reconnect with Last-Event-ID and miss nothing. One store per session, bounded, so a chatty or
// abandoned session cannot grow memory without limit (the oldest events fall off first).
import { randomUUID } from 'node:crypto';
import type { EventId, EventStore, JSONRPCMessage, StreamId } from '@modelcontextprotocol/server';

interface StoredEvent {
  streamId: StreamId;
  message: JSONRPCMessage;
}

export class BoundedEventStore implements EventStore {
  readonly #maxEvents: number;
  // Map keeps insertion order, which is event order: the first key is the oldest event.
  readonly #events = new Map<EventId, StoredEvent>();
  readonly #prefix = randomUUID().slice(0, 8);
  #counter = 0;

  constructor(maxEvents: number) {
    this.#maxEvents = maxEvents;
  }

  get size(): number {
    return this.#events.size;
  }

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    // The id encodes the stream so a replay knows where the event belongs even after eviction.
    const eventId = `${this.#prefix}-${(++this.#counter).toString(36)}_${streamId}`;
    if (this.#maxEvents === 0) return eventId;
    this.#events.set(eventId, { streamId, message });
    while (this.#events.size > this.#maxEvents) {
      const oldest = this.#events.keys().next().value as EventId;
      this.#events.delete(oldest);
    }
    return eventId;
  }

  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    const known = this.#events.get(eventId);
    if (known) return known.streamId;
    const separator = eventId.indexOf('_');
    return separator > 0 ? eventId.slice(separator + 1) : undefined;
  }

  async replayEventsAfter(
    lastEventId: EventId,
    { send }: { send: (eventId: EventId, message: JSONRPCMessage) => Promise<void> },
  ): Promise<StreamId> {
    const streamId = await this.getStreamIdForEventId(lastEventId);
    if (streamId === undefined) throw new Error(`Unknown Last-Event-ID ${lastEventId}`);
    // Compare sequence numbers rather than looking for the id itself: if it was evicted, whatever is still
    // held for that stream is replayed instead of nothing.
    const lastSeq = sequenceOf(lastEventId);
    for (const [eventId, event] of this.#events) {
      if (event.streamId === streamId && sequenceOf(eventId) > lastSeq) await send(eventId, event.message);
    }
    return streamId;
  }
}

function sequenceOf(eventId: EventId): number {
  const match = /^[0-9a-f]{8}-([0-9a-z]+)_/.exec(eventId);
  return match ? Number.parseInt(match[1] as string, 36) : -1;
}
