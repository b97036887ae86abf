import { describe, expect, it } from 'vitest';
import { hashPassword, SCRYPT_DEFAULTS, verifyPassword } from '../../../api/auth/passwords.js';

describe('password hashing (scrypt)', () => {
  it('stores the scheme, N, r, p, salt and key in one string and verifies the right password only', async () => {
    const stored = await hashPassword('correct horse battery staple');
    const [scheme, N, r, p, salt, key] = stored.split('$');
    expect([scheme, Number(N), Number(r), Number(p)]).toEqual(['scrypt', SCRYPT_DEFAULTS.N, 8, 1]);
    expect(Buffer.from(salt ?? '', 'base64')).toHaveLength(SCRYPT_DEFAULTS.saltLength);
    expect(Buffer.from(key ?? '', 'base64')).toHaveLength(SCRYPT_DEFAULTS.keyLength);
    expect(stored).not.toContain('correct horse');

    expect(await verifyPassword('correct horse battery staple', stored)).toBe(true);
    expect(await verifyPassword('correct horse battery stapl', stored)).toBe(false);
    expect(await verifyPassword('', stored)).toBe(false);
  });

  it('salts every hash: the same password twice gives two different strings, both verifying', async () => {
    const [a, b] = await Promise.all([hashPassword('same password here'), hashPassword('same password here')]);
    expect(a).not.toBe(b);
    expect(await verifyPassword('same password here', a)).toBe(true);
    expect(await verifyPassword('same password here', b)).toBe(true);
  });

  it('verifies with the parameters stored in the hash, so older or cheaper hashes still work after the defaults change', async () => {
    const cheap = await hashPassword('an older account', { N: 2 ** 10, r: 4, p: 2, keyLength: 32 });
    expect(cheap.split('$').slice(0, 4)).toEqual(['scrypt', '1024', '4', '2']);
    expect(await verifyPassword('an older account', cheap)).toBe(true);
    // The same key under other parameters is a different hash: the stored ones are the ones used.
    const [, , , , salt, key] = cheap.split('$');
    expect(await verifyPassword('an older account', `scrypt$2048$4$2$${salt}$${key}`)).toBe(false);
  });

  it('refuses a hash it cannot read rather than throwing', async () => {
    for (const bad of [
      '',
      'plain',
      'bcrypt$2$8$1$c2FsdA==$a2V5',
      'scrypt$0$8$1$c2FsdA==$a2V5',
      'scrypt$1024$8$1$c2FsdA==$',
    ]) {
      expect(await verifyPassword('anything', bad)).toBe(false);
    }
  });

  it('treats canonically equal Unicode the same (NFKC), so a password typed on another keyboard still matches', async () => {
    const stored = await hashPassword('caf\u00e9 au lait!');
    expect(await verifyPassword('cafe\u0301 au lait!', stored)).toBe(true);
  });
});
