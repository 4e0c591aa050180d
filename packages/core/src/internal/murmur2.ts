const encoder = new TextEncoder();

/**
 * Murmur2 as Kafka's Java client computes it (`Utils.murmur2`), so the in-memory transport
 * puts a key on the same partition as Kafka's default partitioner would: tests and demos
 * that print partitions show what production will do.
 */
export function murmur2(key: string): number {
  const bytes = encoder.encode(key);
  const m = 0x5bd1e995;
  const length = bytes.length;
  let h = 0x9747b28c ^ length;
  const whole = length - (length % 4);
  for (let i = 0; i < whole; i += 4) {
    let k = (bytes[i] as number) | ((bytes[i + 1] as number) << 8) | ((bytes[i + 2] as number) << 16) | ((bytes[i + 3] as number) << 24);
    k = Math.imul(k, m);
    k ^= k >>> 24;
    k = Math.imul(k, m);
    h = Math.imul(h, m) ^ k;
  }
  const tail = length % 4;
  if (tail >= 3) h ^= (bytes[whole + 2] as number) << 16;
  if (tail >= 2) h ^= (bytes[whole + 1] as number) << 8;
  if (tail >= 1) h = Math.imul(h ^ (bytes[whole] as number), m);
  h ^= h >>> 13;
  h = Math.imul(h, m);
  h ^= h >>> 15;
  return h | 0;
}

/** The partition Kafka's default partitioner picks for a key: the positive hash modulo the partition count. */
export function partitionForKey(key: string, partitions: number): number {
  return (murmur2(key) & 0x7fffffff) % partitions;
}
