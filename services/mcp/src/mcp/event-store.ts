// Resumability for 2025 Streamable HTTP sessions: the last messages of a session, so a client that lost its SSE
// stream can reconnect with Last-Event-ID and miss nothing. Bounded three ways, so a chatty, hostile or abandoned
// session cannot grow memory without limit: events per session, bytes per session, and bytes over all sessions
// (one EventStoreBudget shared by every store). The oldest events fall off first: the session's own when it is
// over its share, the oldest of any session when all of them together are over the total.
import { randomUUID } from 'node:crypto';
import type { EventId, EventStore, JSONRPCMessage, StreamId } from '@modelcontextprotocol/server';

interface StoredEvent {
  streamId: StreamId;
  /**
   * The message as JSON text: its length is what the budgets count, and it is what the event costs to keep (the
   * message object itself takes several times its JSON length on the heap). Replays are rare; they parse it.
   */
  json: string;
  /** Position in the shared budget's age order. */
  ledgerKey: number;
}

export interface EventStoreLimits {
  maxBytesPerSession: number;
  maxBytesTotal: number;
}

/** The byte ledger all sessions' stores share: a global FIFO of who stored what, to evict the oldest first. */
export class EventStoreBudget {
  readonly limits: EventStoreLimits;
  #totalBytes = 0;
  // Insertion order is age: the first entry is the oldest event held by any store.
  readonly #order = new Map<number, { store: BoundedEventStore; eventId: EventId }>();
  #sequence = 0;
  #onChange: ((totalBytes: number) => void) | undefined;

  constructor(limits: EventStoreLimits, onChange?: (totalBytes: number) => void) {
    this.limits = limits;
    this.#onChange = onChange;
  }

  get totalBytes(): number {
    return this.#totalBytes;
  }

  /** @internal bookkeeping for BoundedEventStore */
  added(store: BoundedEventStore, eventId: EventId, bytes: number): number {
    const key = this.#sequence++;
    this.#order.set(key, { store, eventId });
    this.#totalBytes += bytes;
    while (this.#totalBytes > this.limits.maxBytesTotal && this.#order.size > 0) {
      const oldest = this.#order.values().next().value as { store: BoundedEventStore; eventId: EventId };
      oldest.store.evict(oldest.eventId);
    }
    this.#onChange?.(this.#totalBytes);
    return key;
  }

  /** @internal */
  removed(key: number, bytes: number): void {
    if (!this.#order.delete(key)) return;
    this.#totalBytes -= bytes;
    this.#onChange?.(this.#totalBytes);
  }
}

export class BoundedEventStore implements EventStore {
  readonly #maxEvents: number;
  readonly #budget: EventStoreBudget;
  // Map keeps insertion order, which is event order: the first key is the oldest event.
  readonly #events = new Map<EventId, StoredEvent>();
  readonly #prefix = randomUUID().slice(0, 8);
  #counter = 0;
  #bytes = 0;

  constructor(options: { maxEvents: number; budget: EventStoreBudget }) {
    this.#maxEvents = options.maxEvents;
    this.#budget = options.budget;
  }

  get size(): number {
    return this.#events.size;
  }

  /** Bytes of serialized messages this session holds. */
  get bytes(): number {
    return this.#bytes;
  }

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    // The id encodes the stream so a replay knows where the event belongs even after eviction.
    const eventId = `${this.#prefix}-${(++this.#counter).toString(36)}_${streamId}`;
    if (this.#maxEvents === 0) return eventId;
    // Kept and measured as JSON text. A message alone over the session's share is not kept at all (a replay
    // would resend the rest without it).
    const json = JSON.stringify(message);
    const bytes = json.length;
    if (bytes > this.#budget.limits.maxBytesPerSession) return eventId;
    const event: StoredEvent = { streamId, json, ledgerKey: -1 };
    this.#events.set(eventId, event);
    this.#bytes += bytes;
    event.ledgerKey = this.#budget.added(this, eventId, bytes);
    while (this.#events.size > this.#maxEvents || this.#bytes > this.#budget.limits.maxBytesPerSession) {
      this.evict(this.#events.keys().next().value as EventId);
    }
    return eventId;
  }

  /** Drops one event (the budget calls this for the globally oldest). */
  evict(eventId: EventId): void {
    const event = this.#events.get(eventId);
    if (!event) return;
    this.#events.delete(eventId);
    this.#bytes -= event.json.length;
    this.#budget.removed(event.ledgerKey, event.json.length);
  }

  /** Gives every byte back to the shared budget (the session is gone). */
  dispose(): void {
    for (const eventId of [...this.#events.keys()]) this.evict(eventId);
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
      if (event.streamId === streamId && sequenceOf(eventId) > lastSeq)
        await send(eventId, JSON.parse(event.json) as JSONRPCMessage);
    }
    return streamId;
  }
}

function sequenceOf(eventId: EventId): number {
  const match = /^[0-9a-f]{8}-([0-9a-z]+)_/.exec(eventId);
  return match ? Number.parseInt(match[1] as string, 36) : -1;
}
