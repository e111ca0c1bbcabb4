import { describeValue } from '../errors/kandinsky-error.js';
import { invalidArgument, kandinskyError } from '../errors/error-constructors.js';
import type { Scheduler, SchedulerState } from '../schedulers/scheduler.js';
import { checkArray, checkFunction, checkObject } from '../errors/argument-checks.js';

/**
 * One scheduler state per MultiDiffusion view, so that each view keeps its own multistep history
 * (spec §4.8.1 step 6: "per view with that view's own history"; §8 item 9). A multistep solver
 * such as DPM-Solver++(2M) remembers the previous x0 prediction; sharing one state across views
 * would mix one view's history into the next view's update.
 *
 * ```ts
 * scheduler.setTimesteps(5);
 * const states = new ViewStates(scheduler, views.length);
 * for (const t of scheduler.timesteps) {
 *   // ... per view i: scheduler.step(x0[i], t, crop[i], states.get(i), { out })
 * }
 * ```
 */
export class ViewStates<S extends SchedulerState = SchedulerState> {
  private states: S[];

  /**
   * @param scheduler the scheduler whose `createState` makes each view's state; call
   *   `setTimesteps` first if its states depend on the schedule.
   * @param viewCount number of views (≥ 1).
   */
  constructor(
    private readonly scheduler: Scheduler<S>,
    viewCount: number,
  ) {
    if (!Number.isInteger(viewCount) || viewCount < 1) {
      throw invalidArgument(
        'viewCount',
        viewCount,
        'an integer ≥ 1',
        'Pass the number of planned views (planViews(...).length).',
      );
    }
    checkObject('scheduler', scheduler, 'a Scheduler', 'Pass the scheduler of the tiled loop.');
    checkFunction('scheduler.createState', scheduler.createState, 'a function', 'Pass the scheduler of the tiled loop.');
    this.states = Array.from({ length: viewCount }, () => scheduler.createState());
  }

  /** Number of views. */
  get size(): number {
    return this.states.length;
  }

  /** The live state of view `viewIndex`; `scheduler.step` advances it in place. */
  get(viewIndex: number): S {
    const state = this.states[viewIndex];
    if (!Number.isInteger(viewIndex) || state === undefined) {
      throw kandinskyError(
        'INVALID_ARGUMENT',
        `viewIndex ${describeValue(viewIndex)} is outside the ${this.states.length} views.`,
        `Use an index from 0 to ${this.states.length - 1}.`,
        { viewIndex, viewCount: this.states.length },
      );
    }
    return state;
  }

  /** Deep copies of every view's state (via `cloneState`), e.g. to retry a step after an abort. */
  snapshot(): S[] {
    return this.states.map((state) => this.scheduler.cloneState(state));
  }

  /** Replaces the states with deep copies of `states` (from {@link snapshot}). */
  restore(states: readonly S[]): void {
    checkArray('states', states, 'the array snapshot() returned', 'Pass the result of snapshot().');
    if (states.length !== this.states.length) {
      throw kandinskyError(
        'INVALID_ARGUMENT',
        `Cannot restore ${states.length} view states into ${this.states.length} views.`,
        'Restore a snapshot taken from the same ViewStates.',
        { given: states.length, expected: this.states.length },
      );
    }
    this.states = states.map((state) => this.scheduler.cloneState(state));
  }

  /** Fresh states for every view (a new denoising run). */
  reset(): void {
    this.states = this.states.map(() => this.scheduler.createState());
  }
}
