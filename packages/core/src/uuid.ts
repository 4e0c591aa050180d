import { randomFillSync } from 'node:crypto';

const POOL_SIZE = 16 * 256;
const pool = new Uint8Array(POOL_SIZE);
let poolOffset = POOL_SIZE;
let lastMillis = 0;
let sequence = 0;

function randomBytes16(): Uint8Array {
  // Refill in bulk: one syscall per 256 ids instead of one per id.
  if (poolOffset >= POOL_SIZE) {
    randomFillSync(pool);
    poolOffset = 0;
  }
  const bytes = pool.subarray(poolOffset, poolOffset + 16);
  poolOffset += 16;
  return bytes;
}

const hex: string[] = Array.from({ length: 256 }, (_, byte) => byte.toString(16).padStart(2, '0'));

/**
 * A new UUIDv7 (RFC 9562): a 48-bit millisecond timestamp followed by random bits, so ids
 * sort by creation time and index well. Within one millisecond a 12-bit counter keeps ids
 * created by this process strictly increasing.
 */
export function uuidv7(): string {
  const bytes = randomBytes16();
  let now = Date.now();
  if (now > lastMillis) {
    lastMillis = now;
    sequence = ((bytes[6] ?? 0) & 0x07) * 256 + (bytes[7] ?? 0); // random start keeps ids unguessable
  } else {
    sequence += 1;
    if (sequence > 0xfff) {
      // Counter exhausted within this millisecond: borrow the next one.
      lastMillis += 1;
      sequence = 0;
    }
    now = lastMillis;
  }
  const high = Math.floor(now / 2 ** 16);
  const low = now % 2 ** 16;
  const out = new Array<string>(16);
  out[0] = hex[(high >>> 24) & 0xff] as string;
  out[1] = hex[(high >>> 16) & 0xff] as string;
  out[2] = hex[(high >>> 8) & 0xff] as string;
  out[3] = hex[high & 0xff] as string;
  out[4] = hex[(low >>> 8) & 0xff] as string;
  out[5] = hex[low & 0xff] as string;
  out[6] = hex[0x70 | (sequence >>> 8)] as string;
  out[7] = hex[sequence & 0xff] as string;
  out[8] = hex[0x80 | ((bytes[8] ?? 0) & 0x3f)] as string;
  for (let i = 9; i < 16; i++) out[i] = hex[bytes[i] ?? 0] as string;
  return `${out[0]}${out[1]}${out[2]}${out[3]}-${out[4]}${out[5]}-${out[6]}${out[7]}-${out[8]}${out[9]}-${out.slice(10).join('')}`;
}
