/** What every call into a model adapter carries beside its input. */
export interface CallScope {
  /** The project the call is for: local work is queued per project, each with a bounded share of the line. */
  projectId: string;
  /** Aborts the upstream call or the local work at once. */
  signal?: AbortSignal | undefined;
}

/** A request as the local models run it inside their own thread: the scope stays with the pool. */
export type Unscoped<T> = Omit<T, keyof CallScope>;
