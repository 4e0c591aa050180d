import { describe, expect, it } from 'vitest';
import { murmur2, partitionForKey } from './murmur2.js';

describe('murmur2', () => {
  // Reference values from Kafka's Java client (Utils.murmur2), as published in kafkajs's test suite.
  it.each([
    ['0', 971027396],
    ['1', -1993445489],
    ['128', -326012175],
    ['2187', -1508407203],
    ['16384', -325739742],
    ['78125', -1654490814],
    ['279936', 1462227128],
    ['823543', -2014198330],
    ['2097152', 607668903],
    ['4782969', -1182699775],
    ['10000000', -1830336757],
    ['170859375', -1658323481],
    ['100:48069', 1009543857],
  ])('hashes %s like the Java client', (key, expected) => {
    expect(murmur2(key)).toBe(expected);
  });

  it('picks a partition in range from the positive hash', () => {
    expect(partitionForKey('1', 3)).toBe((-1993445489 & 0x7fffffff) % 3);
    for (let index = 0; index < 200; index++) {
      const partition = partitionForKey(`user-${index}`, 7);
      expect(partition).toBeGreaterThanOrEqual(0);
      expect(partition).toBeLessThan(7);
      expect(partitionForKey(`user-${index}`, 7)).toBe(partition);
    }
  });
});
