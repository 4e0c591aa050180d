/** Runs async sections one at a time, in call order, so a manual `runOnce()` never interleaves with a background pass. */
export type Mutex = <T>(section: () => Promise<T>) => Promise<T>;

/** A new {@link Mutex}. A section that throws releases the lock for the next one. */
export function mutex(): Mutex {
  let tail: Promise<unknown> = Promise.resolve();
  return (section) => {
    const run = tail.then(section, section);
    tail = run.catch(() => undefined);
    return run;
  };
}
