import type { Ref } from './hierarchy.js';

// The device_ancestors closure for the devices a chunk creates or moves, computed in memory from the final
// parent of every affected device; the rest of the tree is read from the closure rows already stored.

export interface ClosureInput {
  /** Devices whose chain is (re)computed: new devices, moved devices and everything below moved ones. */
  affected: Set<Ref>;
  /** Final parent of each affected device (null: a root). */
  parentOf: (ref: Ref) => Ref | null;
  /** Stored ancestors (nearest first) of an unaffected device. */
  storedAncestors: (ref: Ref) => Ref[];
}

/** Ancestors (nearest first) of every affected device, or the devices of a parent cycle when there is one. */
export function computeClosure(input: ClosureInput): { ancestors: Map<Ref, Ref[]> } | { cycle: Ref[] } {
  const memo = new Map<Ref, Ref[]>();
  for (const start of input.affected) {
    if (memo.has(start)) continue;
    // Walk up until a computed or unaffected device, then fill the chain top-down (no recursion depth limit).
    const path: Ref[] = [];
    const onPath = new Set<Ref>();
    let cur: Ref | null = start;
    let base: Ref[] = [];
    while (cur) {
      if (onPath.has(cur)) return { cycle: path.slice(path.indexOf(cur)) };
      if (memo.has(cur)) { base = [cur, ...memo.get(cur)!]; break; }
      if (!input.affected.has(cur)) { base = [cur, ...input.storedAncestors(cur)]; break; }
      path.push(cur);
      onPath.add(cur);
      cur = input.parentOf(cur);
    }
    // `base` is the chain above the top of the path, `cur` included ([] at a root); unwind top-down.
    let above = base;
    for (let i = path.length - 1; i >= 0; i--) {
      memo.set(path[i]!, above);
      above = [path[i]!, ...above];
    }
  }
  return { ancestors: memo };
}
