import crypto from 'node:crypto';
import { afterEach, describe, expect, it } from 'vitest';
import {
  argon2idPasswordHasher,
  DEFAULT_ARGON2ID_PARAMETERS,
  DEFAULT_SCRYPT_PARAMETERS,
  passwordHasher,
  scryptPasswordHasher,
} from './password-hasher.js';

const PASSWORD = 'Tr0ub4dour&3';
/** Made by the scrypt hasher this service used before argon2id, at N = 2^10 (the tests' cost then). */
const STORED_SCRYPT = '$scrypt$ln=10,r=8,p=1$xunXd0F4NWfJ4LslXUyMAQ$lJlYdkHkCePmBEh0G7iq6GKBZPnCpi-fHriIjWdMnRs';
/** The example hash in argon2-cffi's documentation (m = 64 MiB, t = 3, p = 4): our PHC parsing matches the common libraries'. */
const ARGON2_CFFI = '$argon2id$v=19$m=65536,t=3,p=4$MIIRqgvgQbgj220jfp0MPA$YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg';
const cheap = () => argon2idPasswordHasher({ memoryKiB: 64, passes: 1 });

describe('passwordHasher', () => {
  it('hashes with argon2id at OWASP’s first recommendation by default, in a PHC string, and verifies', async () => {
    expect(DEFAULT_ARGON2ID_PARAMETERS).toEqual({ memoryKiB: 19_456, passes: 2, parallelism: 1, tagLength: 32, saltLength: 16 });
    const hasher = passwordHasher();
    expect(hasher.scheme).toBe('argon2id (m=19456 KiB, t=2, p=1)');
    expect(hasher.fallback).toBeUndefined();
    const hash = await hasher.hash(PASSWORD);
    // 16 bytes of salt and 32 of hash, in unpadded standard base64.
    expect(hash).toMatch(/^\$argon2id\$v=19\$m=19456,t=2,p=1\$[A-Za-z0-9+/]{22}\$[A-Za-z0-9+/]{43}$/);
    expect(await hasher.verify(PASSWORD, hash)).toBe(true);
    expect(await hasher.verify(`${PASSWORD}x`, hash)).toBe(false);
    expect(await hasher.verify('', hash)).toBe(false);
  });

  it('salts every hash, and verifies a hash made with other parameters from its PHC string', async () => {
    const [first, second] = await Promise.all([cheap().hash(PASSWORD), cheap().hash(PASSWORD)]);
    expect(first).not.toBe(second);
    expect(first).toMatch(/^\$argon2id\$v=19\$m=64,t=1,p=1\$/);
    expect(await passwordHasher().verify(PASSWORD, first)).toBe(true);
    expect(await passwordHasher().verify(PASSWORD, ARGON2_CFFI)).toBe(false);
    expect(await passwordHasher().verify('correct horse battery staple', ARGON2_CFFI)).toBe(true);
  });

  it('normalises the password (NFC), so the same text typed either way verifies', async () => {
    const hash = await cheap().hash('Caf\u00e9Secret1!');
    expect(await cheap().verify('Cafe\u0301Secret1!', hash)).toBe(true);
  });

  it('rejects a tampered hash: salt, hash or parameters changed', async () => {
    const hash = await cheap().hash(PASSWORD);
    const [, , version, params, salt, digest] = hash.split('$') as [string, string, string, string, string, string];
    const flip = (text: string) => `${text[0] === 'A' ? 'B' : 'A'}${text.slice(1)}`;
    const tampered = [
      ['', 'argon2id', version, params, flip(salt), digest],
      ['', 'argon2id', version, params, salt, flip(digest)],
      ['', 'argon2id', version, params, salt, digest.slice(0, -4)], // a shorter hash is not a prefix match
      ['', 'argon2id', version, 'm=65,t=1,p=1', salt, digest],
      ['', 'argon2id', version, 'm=64,t=2,p=1', salt, digest],
      ['', 'argon2d', version, params, salt, digest],
      ['', 'argon2i', version, params, salt, digest],
    ].map((parts) => parts.join('$'));
    for (const encoded of tampered) expect(await cheap().verify(PASSWORD, encoded), encoded).toBe(false);
  });

  it('verifies hashes stored by earlier versions (scrypt), and can still make them', async () => {
    expect(await passwordHasher().verify(PASSWORD, STORED_SCRYPT)).toBe(true);
    expect(await passwordHasher().verify(`${PASSWORD}x`, STORED_SCRYPT)).toBe(false);
    expect(await passwordHasher().verify(PASSWORD, STORED_SCRYPT.replace('$lJ', '$mJ'))).toBe(false);
    expect(await passwordHasher().verify(PASSWORD, STORED_SCRYPT.replace('ln=10', 'ln=11'))).toBe(false);

    expect(DEFAULT_SCRYPT_PARAMETERS).toEqual({ log2Cost: 17, blockSize: 8, parallelization: 1, keyLength: 32, saltLength: 16 });
    const hash = await scryptPasswordHasher().hash(PASSWORD);
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[\w-]{22}\$[\w-]{43}$/);
    expect(await passwordHasher().verify(PASSWORD, hash)).toBe(true);
    // One deliberately slow scrypt hash and its check (~128 MiB of memory work each): allow for a busy machine.
  }, 30_000);

  it('answers false, without computing, for a string in neither format or with parameters out of bounds', async () => {
    const salt = 'c29tZXNhbHRzb21lc2FsdA';
    const digest = 'YfwJSVjtjSU0zzV/P3S9nnQ/USre2wvJMjfCIjrTQbg';
    const bad = [
      '',
      'not a hash',
      PASSWORD,
      '$2b$12$R9h/cIPz0gi.URNNX3kh2OPST9/PgBkqquzi.Ss7KIUgO2t0jWMUW', // bcrypt: not a format this service writes
      `$argon2id$v=16$m=64,t=1,p=1$${salt}$${digest}`, // Argon2 1.0
      `$argon2id$m=64,t=1,p=1$${salt}$${digest}`,
      `$argon2id$v=19$m=4194304,t=1,p=1$${salt}$${digest}`, // 4 GiB: more than a verification may take
      `$argon2id$v=19$m=7,t=1,p=1$${salt}$${digest}`,
      `$argon2id$v=19$m=64,t=0,p=1$${salt}$${digest}`,
      `$argon2id$v=19$m=64,t=1,p=0$${salt}$${digest}`,
      `$argon2id$v=19$m=64,t=1,p=1$c2FsdA$${digest}`, // a 4-byte salt
      `$argon2id$v=19$m=64,t=1,p=1$${salt}$YWJj`, // a 3-byte hash
      `$argon2id$v=19$m=64,t=1,p=1$${salt}$${digest}=`, // padded
      `$argon2id$v=19$m=64,t=1,p=1$${salt}$${digest}$`,
      '$scrypt$ln=30,r=8,p=1$xunXd0F4NWfJ4LslXUyMAQ$lJlYdkHkCePmBEh0G7iq6GKBZPnCpi-fHriIjWdMnRs', // 128 GiB
      '$scrypt$ln=0,r=8,p=1$xunXd0F4NWfJ4LslXUyMAQ$lJlYdkHkCePmBEh0G7iq6GKBZPnCpi-fHriIjWdMnRs',
      '$scrypt$ln=10,r=8,p=1$xunXd0F4NWfJ4LslXUyMAQ$',
    ];
    const started = performance.now();
    for (const encoded of bad) expect(await passwordHasher().verify(PASSWORD, encoded), encoded).toBe(false);
    expect(performance.now() - started).toBeLessThan(1_000);
  });
});

describe('on a Node without crypto.argon2 (Node 20 and 22)', () => {
  const argon2 = crypto.argon2;
  afterEach(() => {
    crypto.argon2 = argon2;
  });

  it('hashes new passwords with scrypt, says why, and still verifies the hashes it can compute', async () => {
    (crypto as { argon2: unknown }).argon2 = undefined;
    const hasher = passwordHasher({ scrypt: { log2Cost: 10 } });
    expect(hasher.scheme).toBe('scrypt (N=2^10, r=8, p=1)');
    expect(hasher.fallback).toBe(
      `Node ${process.version} has no crypto.argon2 (added in Node 24.7): new passwords are hashed with scrypt (N=2^10, r=8, p=1) instead of argon2id`,
    );
    const hash = await hasher.hash(PASSWORD);
    expect(hash).toMatch(/^\$scrypt\$ln=10,r=8,p=1\$/);
    expect(await hasher.verify(PASSWORD, hash)).toBe(true);
    expect(await hasher.verify(PASSWORD, STORED_SCRYPT)).toBe(true);
    // An argon2id hash cannot be checked here: that is a deployment problem, not a wrong password.
    await expect(hasher.verify(PASSWORD, ARGON2_CFFI)).rejects.toThrow(
      `[user-service] This password hash is argon2id, and Node ${process.version} has no crypto.argon2: run Node 24.7 or later.`,
    );
    expect(await hasher.verify(PASSWORD, 'not a hash')).toBe(false);
  });
});
