import { hash, verify } from '@node-rs/argon2';

/**
 * Argon2id with the parameters OWASP recommends for interactive logins (19 MiB, 2 passes).
 * A dummy hash is verified for unknown users so both paths cost the same time.
 */
export class PasswordHasher {
  private dummyHash: Promise<string> | undefined;

  constructor(private readonly options = { memoryCost: 19_456, timeCost: 2, parallelism: 1 }) {}

  hash(password: string): Promise<string> {
    return hash(password, { ...this.options, algorithm: 2 });
  }

  async verify(passwordHash: string, password: string): Promise<boolean> {
    try {
      return await verify(passwordHash, password);
    } catch {
      return false;
    }
  }

  /** Spends the time of a real verification and always fails. */
  async verifyNothing(password: string): Promise<false> {
    this.dummyHash ??= this.hash('parley-dummy-password-for-timing');
    await this.verify(await this.dummyHash, password);
    return false;
  }
}
