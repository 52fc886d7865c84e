// One peer's media keys as this browser holds them: per epoch the steps it knows (the lowest one is the base it
// ratchets forward from) and the step the peer is believed to send with. Pure bookkeeping over ratchetKey.

import { kidOf, ratchetKey, STEPS_PER_EPOCH } from "./media-keys.ts";

/** How far past the newest known step a KID may ask to be ratcheted (a few joins missed), so a made-up KID costs little. */
export const MAX_RATCHET_AHEAD = 16;

interface Chain {
  keys: Map<number, Uint8Array>;
  /** The step the sender is believed to use now. */
  top: number;
}

export interface HeldKey {
  kid: bigint;
  key: Uint8Array;
}

export class ReceivedKeys {
  private readonly epochs = new Map<number, Chain>();
  private newest = -1;

  get newestEpoch(): number {
    return this.newest;
  }

  /** Keeps a key that arrived in a message; false when it was known, or belongs to an epoch already let go. */
  add(epoch: number, step: number, key: Uint8Array): boolean {
    if (epoch < this.newest && !this.epochs.has(epoch)) return false;
    let chain = this.epochs.get(epoch);
    if (!chain) this.epochs.set(epoch, (chain = { keys: new Map(), top: step }));
    if (chain.keys.has(step)) return false;
    chain.keys.set(step, key);
    chain.top = Math.max(chain.top, step);
    this.newest = Math.max(this.newest, epoch);
    return true;
  }

  /** The key for (epoch, step), ratcheting forward from the nearest earlier step held; never backwards. */
  async get(epoch: number, step: number): Promise<Uint8Array | undefined> {
    const chain = this.epochs.get(epoch);
    if (!chain || step >= STEPS_PER_EPOCH) return undefined;
    const hit = chain.keys.get(step);
    if (hit) return hit;
    const below = [...chain.keys.keys()].filter((s) => s < step);
    if (below.length === 0 || step > Math.max(chain.top, ...below) + MAX_RATCHET_AHEAD) return undefined;
    let at = Math.max(...below);
    let key = chain.keys.get(at)!;
    while (at < step) {
      key = await ratchetKey(key);
      chain.keys.set(++at, key);
    }
    return key;
  }

  /** Someone joined: every sender moves one step on. Derives that step of each epoch held. */
  async advance(): Promise<HeldKey[]> {
    const out: HeldKey[] = [];
    for (const [epoch, chain] of this.epochs) {
      const step = chain.top + 1;
      if (step >= STEPS_PER_EPOCH) continue;
      const known = chain.keys.has(step);
      const key = await this.get(epoch, step);
      chain.top = step;
      if (key && !known) out.push({ kid: kidOf(epoch, step), key });
    }
    return out;
  }

  /** Lets go of the epochs before `epoch`; returns their KIDs. */
  dropBefore(epoch: number): bigint[] {
    const kids: bigint[] = [];
    for (const [e, chain] of this.epochs) {
      if (e >= epoch) continue;
      for (const step of chain.keys.keys()) kids.push(kidOf(e, step));
      this.epochs.delete(e);
    }
    return kids;
  }

  /** Lets go of everything (the peer left or restarted). */
  dropAll(): bigint[] {
    const kids = this.dropBefore(Number.POSITIVE_INFINITY);
    this.newest = -1;
    return kids;
  }
}
