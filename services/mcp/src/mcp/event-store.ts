// Resumability for 2025 Streamable HTTP sessions: the last messages of a session, so a client that lost its SSE
// stream can reconnect with Last-Event-ID and miss nothing. Bounded three ways, so a chatty, hostile or abandoned
// session cannot grow memory without limit: events per session, bytes per session, and bytes over all sessions
// (one EventStoreBudget shared by every store). The oldest events fall off first: the session's own when it is
// over its share, the oldest of any session when all of them together are over the total.
//
// Every event leaves oldest first, so a store is a queue in three parallel arrays (sequence number, stream, JSON
// text) and the budget one queue of (store, sequence number): a few machine words per event besides its JSON,
// where a Map entry, an object and an id string per event cost ~0.5 KB more. An event's id is rebuilt from its
// sequence number and stream when it is replayed.
import { randomUUID } from 'node:crypto';
import type { EventId, EventStore, JSONRPCMessage, StreamId } from '@modelcontextprotocol/server';
import { compactString } from '../runtime/compact-string.ts';

export interface EventStoreLimits {
  maxBytesPerSession: number;
  maxBytesTotal: number;
}

/** Stale entries (their event already left its store) the budget's queue may carry before it is compacted. */
const STALE_SLACK = 1024;

/** The byte ledger all sessions' stores share: a global queue of who stored what, to evict the oldest first. */
export class EventStoreBudget {
  readonly limits: EventStoreLimits;
  #totalBytes = 0;
  #held = 0;
  // In age order from #head: the first entry is the oldest event still held by any store, or a stale one (its
  // store already dropped it, by its own bounds or because the session ended).
  #stores: BoundedEventStore[] = [];
  #seqs: number[] = [];
  #head = 0;
  #onChange: ((totalBytes: number) => void) | undefined;

  constructor(limits: EventStoreLimits, onChange?: (totalBytes: number) => void) {
    this.limits = limits;
    this.#onChange = onChange;
  }

  get totalBytes(): number {
    return this.#totalBytes;
  }

  /** Entries in the age queue, stale ones included (bounded: they are compacted away). */
  get queued(): number {
    return this.#seqs.length - this.#head;
  }

  /** @internal bookkeeping for BoundedEventStore */
  added(store: BoundedEventStore, seq: number, bytes: number): void {
    this.#stores.push(store);
    this.#seqs.push(seq);
    this.#totalBytes += bytes;
    this.#held++;
    while (this.#totalBytes > this.limits.maxBytesTotal && this.#head < this.#seqs.length) {
      const oldest = this.#stores[this.#head] as BoundedEventStore;
      const oldestSeq = this.#seqs[this.#head] as number;
      this.#stores[this.#head] = undefined as unknown as BoundedEventStore;
      this.#head++;
      // Each store's entries come in its own order, so a live entry is its store's oldest event.
      if (oldest.oldestSeq === oldestSeq) oldest.evictOldest();
    }
    this.#onChange?.(this.#totalBytes);
  }

  /** @internal */
  removed(bytes: number): void {
    this.#totalBytes -= bytes;
    this.#held--;
    if (this.queued > 2 * this.#held + STALE_SLACK) this.#compact();
    this.#onChange?.(this.#totalBytes);
  }

  /** Drops the stale entries: an entry is live while its store still holds its sequence number. */
  #compact(): void {
    const stores: BoundedEventStore[] = [];
    const seqs: number[] = [];
    for (let i = this.#head; i < this.#seqs.length; i++) {
      const store = this.#stores[i] as BoundedEventStore;
      const seq = this.#seqs[i] as number;
      if (seq >= store.oldestSeq) {
        stores.push(store);
        seqs.push(seq);
      }
    }
    this.#stores = stores;
    this.#seqs = seqs;
    this.#head = 0;
  }
}

export class BoundedEventStore implements EventStore {
  readonly #maxEvents: number;
  readonly #budget: EventStoreBudget;
  readonly #prefix = randomUUID().slice(0, 8);
  #counter = 0;
  #bytes = 0;
  // The held events, oldest at #head, in sequence order.
  #seqs: number[] = [];
  #streams: StreamId[] = [];
  #jsons: string[] = [];
  #head = 0;

  constructor(options: { maxEvents: number; budget: EventStoreBudget }) {
    this.#maxEvents = options.maxEvents;
    this.#budget = options.budget;
  }

  get size(): number {
    return this.#seqs.length - this.#head;
  }

  /** Bytes of serialized messages this session holds. */
  get bytes(): number {
    return this.#bytes;
  }

  /** @internal the sequence number of the oldest event held (Infinity when none is). */
  get oldestSeq(): number {
    return this.#head < this.#seqs.length ? (this.#seqs[this.#head] as number) : Number.POSITIVE_INFINITY;
  }

  async storeEvent(streamId: StreamId, message: JSONRPCMessage): Promise<EventId> {
    const seq = ++this.#counter;
    const eventId = this.#idOf(seq, streamId);
    if (this.#maxEvents === 0) return eventId;
    // The SDK stores a stream's priming event as an empty object: it only gives the client an id to resume from,
    // and a replay sends what came after it, never the event itself. Its id still orders it; nothing is kept.
    if ((message as { jsonrpc?: unknown }).jsonrpc === undefined) return eventId;
    // Kept and measured as JSON text (the message object would take several times its JSON length on the heap).
    // A message alone over the session's share is not kept at all (a replay would resend the rest without it).
    const json = JSON.stringify(message);
    const bytes = json.length;
    if (bytes > this.#budget.limits.maxBytesPerSession) return eventId;
    // The SDK names each stream with a randomUUID(), and most streams carry one message (a call's answer): each
    // stream's name is kept once per run of its events, flat.
    const newest = this.#streams.at(-1);
    this.#seqs.push(seq);
    this.#streams.push(newest === streamId ? newest : compactString(streamId));
    this.#jsons.push(json);
    this.#bytes += bytes;
    this.#budget.added(this, seq, bytes);
    while (this.size > this.#maxEvents || this.#bytes > this.#budget.limits.maxBytesPerSession) this.evictOldest();
    return eventId;
  }

  /** @internal drops the oldest event held (the budget calls this when it is the oldest of all sessions). */
  evictOldest(): void {
    if (this.size === 0) return;
    const bytes = (this.#jsons[this.#head] as string).length;
    // Let go of the strings now; the slots themselves go when the arrays are compacted.
    this.#streams[this.#head] = '';
    this.#jsons[this.#head] = '';
    this.#head++;
    if (this.#head >= 64 && this.#head * 2 >= this.#seqs.length) {
      this.#seqs.splice(0, this.#head);
      this.#streams.splice(0, this.#head);
      this.#jsons.splice(0, this.#head);
      this.#head = 0;
    }
    this.#bytes -= bytes;
    this.#budget.removed(bytes);
  }

  /** Gives every byte back to the shared budget (the session is gone). */
  dispose(): void {
    while (this.size > 0) this.evictOldest();
  }

  async getStreamIdForEventId(eventId: EventId): Promise<StreamId | undefined> {
    // The id encodes the stream, so this holds even once the event itself was evicted.
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
    // held for that stream is replayed instead of nothing. Collected first: sending may store and evict events.
    const lastSeq = sequenceOf(lastEventId);
    const missed: [number, string][] = [];
    for (let i = this.#head; i < this.#seqs.length; i++) {
      const seq = this.#seqs[i] as number;
      if (this.#streams[i] === streamId && seq > lastSeq) missed.push([seq, this.#jsons[i] as string]);
    }
    for (const [seq, json] of missed) await send(this.#idOf(seq, streamId), JSON.parse(json) as JSONRPCMessage);
    return streamId;
  }

  #idOf(seq: number, streamId: StreamId): EventId {
    return `${this.#prefix}-${seq.toString(36)}_${streamId}`;
  }
}

function sequenceOf(eventId: EventId): number {
  const match = /^[0-9a-f]{8}-([0-9a-z]+)_/.exec(eventId);
  return match ? Number.parseInt(match[1] as string, 36) : -1;
}
