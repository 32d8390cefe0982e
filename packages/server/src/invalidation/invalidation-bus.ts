/**
 * What a node caches and another node's change can make stale. Overrides are named `namespace\0identifier`;
 * identities by their externalId; a role change is announced as the changed role ids (every node reloads its role
 * catalogue).
 */
export type CachedKind = "key" | "token" | "project" | "ratelimit_override" | "identity" | "role";

/** Records of one kind that changed: every node drops them from its caches. */
export interface Invalidation {
  kind: CachedKind;
  ids: readonly string[];
}

/** What a node does with the invalidations other nodes broadcast. */
export interface InvalidationListener {
  /** Another node changed these records. */
  onInvalidation(invalidation: Invalidation): void;
  /**
   * Broadcasts may have been missed (the connection dropped, or came back after a drop, or a message was
   * unreadable): drop everything cached, since no one can say what changed meanwhile.
   */
  onGap(): void;
}

/** Whether the bus can currently hear other nodes. */
export type InvalidationBusState = "listening" | "reconnecting" | "closed";

/**
 * Tells every Keyward node sharing a store which cached records another node changed, so a revocation made on
 * one node takes effect on all of them within a second; each node's cache TTL is the safety net for a message
 * that is lost anyway. A node never hears its own messages: it already dropped what it changed.
 */
export interface InvalidationBus {
  /**
   * Sends an invalidation to every other listening node. Resolves once the engine accepted it; throws
   * STORE_UNAVAILABLE or RATE_LIMITER_UNAVAILABLE (the engine carrying it) when it cannot be sent.
   */
  publish(invalidation: Invalidation): Promise<void>;
  /**
   * Starts listening. Resolves once listening, or once the first attempt failed, in which case the bus keeps
   * reconnecting in the background and reports a gap when it gets through. One listener per bus.
   */
  listen(listener: InvalidationListener): Promise<void>;
  state(): InvalidationBusState;
  /** Stops listening and closes the bus's own connections. */
  close(): Promise<void>;
}
