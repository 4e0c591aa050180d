import { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/** Turns a password into a salted hash, and checks a password against one. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, encoded: string): Promise<boolean>;
}

/** scrypt's parameters. */
export interface ScryptParameters {
  /** CPU/memory cost N, as log2. @defaultValue 17 (N = 131072) */
  readonly log2Cost: number;
  /** Block size r. @defaultValue 8 */
  readonly blockSize: number;
  /** Parallelisation p. @defaultValue 1 */
  readonly parallelization: number;
  /** Bytes of derived key. @defaultValue 32 */
  readonly keyLength: number;
  /** Bytes of random salt per hash. @defaultValue 16 */
  readonly saltLength: number;
}

/** OWASP's minimum for scrypt (N = 2^17, r = 8, p = 1): 128 MiB and about a tenth of a second per hash. */
export const DEFAULT_SCRYPT_PARAMETERS: ScryptParameters = {
  log2Cost: 17,
  blockSize: 8,
  parallelization: 1,
  keyLength: 32,
  saltLength: 16,
};

/**
 * scrypt from `node:crypto`, with a fresh random salt per password. The result is a PHC string,
 * `$scrypt$ln=17,r=8,p=1$<salt>$<hash>` (unpadded base64), so the parameters travel with each hash
 * and can be raised later without breaking old hashes.
 */
export function scryptPasswordHasher(parameters: Partial<ScryptParameters> = {}): PasswordHasher {
  const params = { ...DEFAULT_SCRYPT_PARAMETERS, ...parameters };
  return {
    async hash(password) {
      const salt = randomBytes(params.saltLength);
      const key = await derive(password, salt, params.log2Cost, params.blockSize, params.parallelization, params.keyLength);
      return `$scrypt$ln=${params.log2Cost},r=${params.blockSize},p=${params.parallelization}$${salt.toString('base64url')}$${key.toString('base64url')}`;
    },
    async verify(password, encoded) {
      const match = /^\$scrypt\$ln=(\d+),r=(\d+),p=(\d+)\$([\w-]+)\$([\w-]+)$/.exec(encoded);
      if (match === null) return false;
      const [, ln, r, p, salt, hash] = match as unknown as [string, string, string, string, string, string];
      const expected = Buffer.from(hash, 'base64url');
      const actual = await derive(password, Buffer.from(salt, 'base64url'), Number(ln), Number(r), Number(p), expected.length);
      return timingSafeEqual(actual, expected);
    },
  };
}

function derive(password: string, salt: Buffer, log2Cost: number, r: number, p: number, keyLength: number): Promise<Buffer> {
  const N = 2 ** log2Cost;
  // scrypt needs 128·N·r bytes; Node's default ceiling (32 MiB) is below OWASP's minimum, so raise it to fit.
  const options: ScryptOptions = { N, r, p, maxmem: 128 * N * r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, options, (error, key) => (error === null ? resolve(key) : reject(error)));
  });
}
