// Forwarding decisions, without werift: who must receive whose media. Pure, so it is unit-tested on its own.
//
// A participant who is admitted and publishing is a source; every other admitted participant receives each source
// exactly once. Waiting or declined people receive nothing.

export interface ParticipantState {
  id: string;
  admitted: boolean;
  publishing: boolean;
}

export interface Subscription {
  subscriber: string;
  source: string;
}

/** The subscriptions that should exist now, given the participants. */
export function wantedSubscriptions(participants: readonly ParticipantState[]): Subscription[] {
  const admitted = participants.filter((p) => p.admitted);
  return admitted.flatMap((source) =>
    source.publishing ? admitted.filter((s) => s.id !== source.id).map((s) => ({ subscriber: s.id, source: source.id })) : [],
  );
}

/** What to open and what to close to move from `existing` to `wanted`. */
export function planSubscriptions(
  existing: readonly Subscription[],
  wanted: readonly Subscription[],
): { open: Subscription[]; close: Subscription[] } {
  const key = (s: Subscription) => `${s.subscriber}<-${s.source}`;
  const have = new Set(existing.map(key));
  const want = new Set(wanted.map(key));
  return { open: wanted.filter((s) => !have.has(key(s))), close: existing.filter((s) => !want.has(key(s))) };
}
