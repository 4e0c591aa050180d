import crypto, { randomBytes, type ScryptOptions, scrypt, timingSafeEqual } from 'node:crypto';

/** Turns a password into a salted hash, and checks a password against one. */
export interface PasswordHasher {
  hash(password: string): Promise<string>;
  verify(password: string, encoded: string): Promise<boolean>;
}

/** argon2id's parameters. */
export interface Argon2idParameters {
  /** Memory cost m, in KiB. @defaultValue 19456 (19 MiB) */
  readonly memoryKiB: number;
  /** Time cost t: passes over the memory. @defaultValue 2 */
  readonly passes: number;
  /** Lanes p. @defaultValue 1 */
  readonly parallelism: number;
  /** Bytes of hash. @defaultValue 32 */
  readonly tagLength: number;
  /** Bytes of random salt per hash. @defaultValue 16 */
  readonly saltLength: number;
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

/** OWASP's first recommendation for password storage: argon2id, m = 19 MiB, t = 2, p = 1. */
export const DEFAULT_ARGON2ID_PARAMETERS: Argon2idParameters = {
  memoryKiB: 19_456,
  passes: 2,
  parallelism: 1,
  tagLength: 32,
  saltLength: 16,
};

/** OWASP's minimum for scrypt (N = 2^17, r = 8, p = 1): 128 MiB per hash, and about ten times argon2id's time. */
export const DEFAULT_SCRYPT_PARAMETERS: ScryptParameters = {
  log2Cost: 17,
  blockSize: 8,
  parallelization: 1,
  keyLength: 32,
  saltLength: 16,
};

/** The most memory one verification may take: a stored hash asking for more is treated as corrupt, not computed. */
const MAX_MEMORY_KIB = 1_048_576; // 1 GiB

/** Whether this Node has argon2 built in (`crypto.argon2`, Node 24.7 and later). */
export function argon2Available(): boolean {
  return typeof crypto.argon2 === 'function';
}

/** The hasher `passwordHasher` chose, with what it says in the start-up log. */
export interface ChosenPasswordHasher extends PasswordHasher {
  /** The scheme and parameters of new hashes, e.g. `argon2id (m=19456 KiB, t=2, p=1)`. */
  readonly scheme: string;
  /** Why new hashes fall back to scrypt; `undefined` when they use argon2id. */
  readonly fallback: string | undefined;
}

/**
 * argon2id for new hashes when this Node has it, scrypt otherwise (Node 20 and 22). Either way it
 * verifies both formats, so hashes stored before a change of scheme or of Node keep verifying.
 */
export function passwordHasher(
  parameters: { argon2id?: Partial<Argon2idParameters>; scrypt?: Partial<ScryptParameters> } = {},
): ChosenPasswordHasher {
  if (argon2Available()) {
    const params = { ...DEFAULT_ARGON2ID_PARAMETERS, ...parameters.argon2id };
    return {
      ...argon2idPasswordHasher(params),
      scheme: `argon2id (m=${params.memoryKiB} KiB, t=${params.passes}, p=${params.parallelism})`,
      fallback: undefined,
    };
  }
  const params = { ...DEFAULT_SCRYPT_PARAMETERS, ...parameters.scrypt };
  const scheme = `scrypt (N=2^${params.log2Cost}, r=${params.blockSize}, p=${params.parallelization})`;
  return {
    ...scryptPasswordHasher(params),
    scheme,
    fallback: `Node ${process.version} has no crypto.argon2 (added in Node 24.7): new passwords are hashed with ${scheme} instead of argon2id`,
  };
}

/**
 * argon2id from `node:crypto` (Node 24.7 and later), with a fresh random salt per password. The result
 * is a PHC string, `$argon2id$v=19$m=19456,t=2,p=1$<salt>$<hash>` (unpadded base64), as the reference
 * implementation and the common libraries write it. Verifies scrypt hashes too.
 */
export function argon2idPasswordHasher(parameters: Partial<Argon2idParameters> = {}): PasswordHasher {
  const params = { ...DEFAULT_ARGON2ID_PARAMETERS, ...parameters };
  return {
    async hash(password) {
      const salt = randomBytes(params.saltLength);
      const hash = await argon2id(password, salt, params.memoryKiB, params.passes, params.parallelism, params.tagLength);
      return `$argon2id$v=19$m=${params.memoryKiB},t=${params.passes},p=${params.parallelism}$${b64(salt)}$${b64(hash)}`;
    },
    verify,
  };
}

/**
 * scrypt from `node:crypto`, with a fresh random salt per password. The result is a PHC string,
 * `$scrypt$ln=17,r=8,p=1$<salt>$<hash>` (unpadded base64url), so the parameters travel with each hash.
 * Verifies argon2id hashes too, where this Node has argon2.
 */
export function scryptPasswordHasher(parameters: Partial<ScryptParameters> = {}): PasswordHasher {
  const params = { ...DEFAULT_SCRYPT_PARAMETERS, ...parameters };
  return {
    async hash(password) {
      const salt = randomBytes(params.saltLength);
      const key = await scryptKey(password, salt, params.log2Cost, params.blockSize, params.parallelization, params.keyLength);
      return `$scrypt$ln=${params.log2Cost},r=${params.blockSize},p=${params.parallelization}$${salt.toString('base64url')}$${key.toString('base64url')}`;
    },
    verify,
  };
}

const ARGON2ID = /^\$argon2id\$v=19\$m=(\d{1,10}),t=(\d{1,3}),p=(\d{1,3})\$([A-Za-z0-9+/]{11,})\$([A-Za-z0-9+/]{6,})$/;
const SCRYPT = /^\$scrypt\$ln=(\d{1,2}),r=(\d{1,3}),p=(\d{1,3})\$([\w-]+)\$([\w-]+)$/;

/**
 * Checks a password against a hash in either format, with the parameters the hash names. A string in
 * neither format, or with parameters out of bounds, verifies nothing: it answers false.
 *
 * @throws Error when the hash is argon2id and this Node cannot compute argon2 (run Node 24.7 or later).
 */
async function verify(password: string, encoded: string): Promise<boolean> {
  const argon = ARGON2ID.exec(encoded);
  if (argon !== null) {
    const [m, t, p] = [Number(argon[1]), Number(argon[2]), Number(argon[3])];
    const salt = Buffer.from(argon[4] as string, 'base64');
    const expected = Buffer.from(argon[5] as string, 'base64');
    if (p < 1 || m < 8 * p || m > MAX_MEMORY_KIB || t < 1 || expected.length < 4) return false;
    if (!argon2Available()) {
      throw new Error(
        `[user-service] This password hash is argon2id, and Node ${process.version} has no crypto.argon2: run Node 24.7 or later.`,
      );
    }
    return timingSafeEqual(await argon2id(password, salt, m, t, p, expected.length), expected);
  }
  const scryptMatch = SCRYPT.exec(encoded);
  if (scryptMatch !== null) {
    const [ln, r, p] = [Number(scryptMatch[1]), Number(scryptMatch[2]), Number(scryptMatch[3])];
    const salt = Buffer.from(scryptMatch[4] as string, 'base64url');
    const expected = Buffer.from(scryptMatch[5] as string, 'base64url');
    if (ln < 1 || r < 1 || p < 1 || (2 ** ln * 128 * r) / 1024 > MAX_MEMORY_KIB || expected.length < 1) return false;
    return timingSafeEqual(await scryptKey(password, salt, ln, r, p, expected.length), expected);
  }
  return false;
}

function argon2id(
  password: string,
  salt: Buffer,
  memoryKiB: number,
  passes: number,
  parallelism: number,
  tagLength: number,
): Promise<Buffer> {
  const parameters = { message: password.normalize('NFC'), nonce: salt, memory: memoryKiB, passes, parallelism, tagLength };
  return new Promise((resolve, reject) => {
    crypto.argon2('argon2id', parameters, (error, hash) => (error === null ? resolve(hash) : reject(error)));
  });
}

function scryptKey(password: string, salt: Buffer, log2Cost: number, r: number, p: number, keyLength: number): Promise<Buffer> {
  const N = 2 ** log2Cost;
  // scrypt needs 128·N·r bytes; Node's default ceiling (32 MiB) is below OWASP's minimum, so raise it to fit.
  const options: ScryptOptions = { N, r, p, maxmem: 128 * N * r + 1024 * 1024 };
  return new Promise((resolve, reject) => {
    scrypt(password.normalize('NFC'), salt, keyLength, options, (error, key) => (error === null ? resolve(key) : reject(error)));
  });
}

/** Unpadded standard base64, PHC's encoding. */
function b64(bytes: Buffer): string {
  return bytes.toString('base64').replace(/=+$/, '');
}
