import type { RunStatus, TargetStatus } from '../types.js';

/**
 * The ONE place run and target states may change. Every allowed move is listed with why it exists;
 * anything else is a bug and throws IllegalTransitionError (TaskFlow's states.py, Apollo's ServerState).
 */

/** Thrown when code asks for a state change the tables below do not allow. */
export class IllegalTransitionError extends Error {
  constructor(what: 'run' | 'target', from: string, to: string) {
    super(`illegal ${what} transition ${from} → ${to}`);
    this.name = 'IllegalTransitionError';
  }
}

type Table<S extends string> = Readonly<Record<S, readonly S[]>>;

const RUN_TRANSITIONS: Table<RunStatus> = {
  PENDING: [
    'RUNNING', // the owner claimed it and starts executing its targets
    'FAILED', // it can never run: its definition is no longer registered, or it crashed and is not resumable
    'CANCELLING', // cancelled before it started: its owner skips every target and ends it CANCELLED
  ],
  RUNNING: [
    'SUCCEEDED', // every target succeeded (or there were none)
    'PARTIAL', // some targets succeeded, some failed or went to a person (MANUAL)
    'FAILED', // no target succeeded; or, after a crash, the run cannot resume (reason recorded)
    'CANCELLING', // an operator cancelled it: no new targets start, running ones wind down
  ],
  CANCELLING: [
    'CANCELLED', // the running targets wound down; the rest were SKIPPED
  ],
  SUCCEEDED: [], // terminal
  PARTIAL: [], // terminal
  FAILED: [], // terminal
  CANCELLED: [], // terminal
};

const TARGET_TRANSITIONS: Table<TargetStatus> = {
  PENDING: [
    'RUNNING', // its batch reached it
    'SKIPPED', // the run was cancelled (or could not resume) before it started
  ],
  RUNNING: [
    'SUCCEEDED', // every task succeeded (write-back done for audits)
    'FAILED', // a task exhausted its retries (completed tasks reverted), or a crash interrupted a non-resumable workflow
    'MANUAL', // as FAILED, but the definition hands such hosts to a person
    'REVERTED', // the run was cancelled mid-target; its completed tasks were undone (where they can be)
    'SKIPPED', // the run was cancelled before the target's first task completed: nothing to undo
  ],
  SUCCEEDED: [], // terminal
  FAILED: [], // terminal
  MANUAL: [], // terminal
  REVERTED: [], // terminal
  SKIPPED: [], // terminal
};

/** Statuses after which a run never changes again. */
export const TERMINAL_RUN_STATUSES: readonly RunStatus[] = ['SUCCEEDED', 'PARTIAL', 'FAILED', 'CANCELLED'];
/** Statuses of a run some process should be working on. */
export const ACTIVE_RUN_STATUSES: readonly RunStatus[] = ['PENDING', 'RUNNING', 'CANCELLING'];
/** Statuses of a target that still has work to do. */
export const OPEN_TARGET_STATUSES: readonly TargetStatus[] = ['PENDING', 'RUNNING'];

export function isTerminalRun(status: RunStatus): boolean {
  return TERMINAL_RUN_STATUSES.includes(status);
}

/** Returns `to` when the run may move there from `from`; throws IllegalTransitionError otherwise. */
export function runTransition(from: RunStatus, to: RunStatus): RunStatus {
  if (!RUN_TRANSITIONS[from]?.includes(to)) throw new IllegalTransitionError('run', from, to);
  return to;
}

/** Whether the run may move from `from` to `to` (for conditional updates that must not throw). */
export function canTransitionRun(from: RunStatus, to: RunStatus): boolean {
  return RUN_TRANSITIONS[from]?.includes(to) ?? false;
}

/** The statuses a run may be in to move to `to`: the WHERE of a conditional status update. */
export function runSourcesOf(to: RunStatus): RunStatus[] {
  return (Object.keys(RUN_TRANSITIONS) as RunStatus[]).filter((from) => RUN_TRANSITIONS[from].includes(to));
}

/** Returns `to` when a target may move there from `from`; throws IllegalTransitionError otherwise. */
export function targetTransition(from: TargetStatus, to: TargetStatus): TargetStatus {
  if (!TARGET_TRANSITIONS[from]?.includes(to)) throw new IllegalTransitionError('target', from, to);
  return to;
}
