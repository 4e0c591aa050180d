import { describe, expect, it } from 'vitest';
import { DEFAULT_SCRYPT_PARAMETERS, scryptPasswordHasher } from './password-hasher.js';

describe('scryptPasswordHasher', () => {
  it('uses OWASP’s scrypt minimum by default, in a PHC string, and verifies', async () => {
    expect(DEFAULT_SCRYPT_PARAMETERS).toEqual({ log2Cost: 17, blockSize: 8, parallelization: 1, keyLength: 32, saltLength: 16 });
    const hasher = scryptPasswordHasher();
    const hash = await hasher.hash('Secret1!x');
    expect(hash).toMatch(/^\$scrypt\$ln=17,r=8,p=1\$[\w-]{22}\$[\w-]{43}$/);
    expect(hash).not.toContain('Secret1!x');
    expect(await hasher.verify('Secret1!x', hash)).toBe(true);
    expect(await hasher.verify('Secret1!y', hash)).toBe(false);
    // Three deliberately slow hashes (~128 MiB of memory work each): allow for a busy machine.
  }, 30_000);

  it('salts every hash, and verifies a hash made with other parameters from its PHC string', async () => {
    const cheap = scryptPasswordHasher({ log2Cost: 10 });
    const [first, second] = await Promise.all([cheap.hash('Secret1!x'), cheap.hash('Secret1!x')]);
    expect(first).not.toBe(second);
    expect(await scryptPasswordHasher().verify('Secret1!x', first)).toBe(true);
    expect(await cheap.verify('Secret1!x', 'not a hash')).toBe(false);
  });
});
