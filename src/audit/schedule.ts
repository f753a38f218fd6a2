/**
 * How the runner's tasks (one per arm and probe) run: all at once, so that their model
 * calls meet in the batching layer (src/backends withBatching) and the backend gets full
 * batches, or one after another ("sequential", the order the tasks are listed in).
 *
 * What stays as a sequential run has it, whatever the schedule:
 * - the records: each depends only on (model, item, context), never on what ran beside it
 *   (probe.ts; seeds are per item, the engine's rows do not depend on their batch);
 * - the progress events, in the task order: the first unfinished task reports as it goes,
 *   a later one's events wait and are replayed when every task before it has finished, so a
 *   progress display sees exactly the sequence of a sequential run;
 * - errors: the first one stops the rest at their next record (nothing more is stored), the
 *   call returns once every task has stopped, and that first error is thrown.
 */
export type Schedule = "concurrent" | "sequential";

/** A task; it should return early once `stopped()` is true. */
export type Task = (stopped: () => boolean) => Promise<void>;

export async function runTasks(tasks: readonly Task[], schedule: Schedule): Promise<void> {
  let failure: { error: unknown } | undefined;
  const stopped = () => failure !== undefined;
  if (schedule === "sequential") {
    for (const t of tasks) await t(stopped);
    return;
  }
  await Promise.all(
    tasks.map((t) =>
      t(stopped).catch((error: unknown) => {
        failure ??= { error };
      }),
    ),
  );
  if (failure) throw failure.error;
}

/** Progress events `P` of tasks 0…n−1 that may run at once, passed on in task order (see the header). */
export class OrderedProgress<P> {
  private current = 0;
  private readonly waiting: P[][];
  private readonly finished: boolean[];

  constructor(n: number, private readonly emit: ((p: P) => void) | undefined) {
    this.waiting = Array.from({ length: n }, () => []);
    this.finished = Array.from({ length: n }, () => false);
  }

  report(task: number, p: P): void {
    if (!this.emit) return;
    if (task === this.current) this.emit(p);
    else this.waiting[task].push(p);
  }

  finish(task: number): void {
    this.finished[task] = true;
    while (this.current < this.finished.length && this.finished[this.current]) {
      this.current++;
      if (this.current < this.waiting.length) for (const p of this.waiting[this.current].splice(0)) this.emit?.(p);
    }
  }
}
