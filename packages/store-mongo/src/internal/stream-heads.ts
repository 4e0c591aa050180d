/**
 * Versions at which a stream's commits end, as this process last saw them. A commit never changes
 * once written, so "stream s has a commit ending at version n" stays true forever; the store uses it
 * to append right after n without reading the stream first. If the stream has moved on since, the
 * insert collides on the unique (stream, first version) index and the store reads the stream then.
 * Bounded, least recently used first out.
 */
export class StreamHeads {
  private readonly heads = new Map<string, number>();

  constructor(private readonly capacity = 10_000) {}

  /** The highest known commit end of a stream, if any. */
  get(streamId: string): number | undefined {
    const version = this.heads.get(streamId);
    if (version !== undefined) {
      this.heads.delete(streamId);
      this.heads.set(streamId, version);
    }
    return version;
  }

  /** Records that a commit of `streamId` ends at `version`. */
  observe(streamId: string, version: number): void {
    const current = this.heads.get(streamId);
    this.heads.delete(streamId);
    this.heads.set(streamId, current === undefined ? version : Math.max(current, version));
    if (this.heads.size > this.capacity) {
      const oldest = this.heads.keys().next().value as string;
      this.heads.delete(oldest);
    }
  }
}
