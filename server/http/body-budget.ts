/**
 * The bytes of request bodies this process is reading or holding, counted from their declared
 * length (a body without one counts as its route's limit) until their answer ends. Each body is
 * bounded by its route; this bounds how many are held at once (MAX_BODY_BYTES_IN_FLIGHT), and how
 * much of that one project may hold (MAX_BODY_BYTES_IN_FLIGHT_PER_PROJECT), so no project can
 * take it all from the others. Only authenticated requests borrow from it: an anonymous body is
 * refused before it is read.
 */
export class BodyBudget {
  #held = 0;
  readonly #heldByProject = new Map<string, number>();
  readonly #total: number;
  readonly #perProject: number;

  constructor(limits: { total: number; perProject: number }) {
    this.#total = limits.total;
    this.#perProject = limits.perProject;
  }

  /**
   * Lends `bytes` to `projectId` until `release` is called; false when they do not fit. A body
   * larger than a share still fits when nothing else is held (by the project, or at all), so
   * every body a route takes can be sent.
   */
  take(projectId: string, bytes: number): boolean {
    const projectHeld = this.#heldByProject.get(projectId) ?? 0;
    if (projectHeld > 0 && projectHeld + bytes > this.#perProject) return false;
    if (this.#held > 0 && this.#held + bytes > this.#total) return false;
    this.#held += bytes;
    this.#heldByProject.set(projectId, projectHeld + bytes);
    return true;
  }

  release(projectId: string, bytes: number): void {
    this.#held -= bytes;
    const left = (this.#heldByProject.get(projectId) ?? 0) - bytes;
    if (left > 0) this.#heldByProject.set(projectId, left);
    else this.#heldByProject.delete(projectId);
  }

  /** What is held now, in all and by the project holding most (for metrics and tests). */
  get held(): { total: number; largestProject: number } {
    return { total: this.#held, largestProject: Math.max(0, ...this.#heldByProject.values()) };
  }
}
