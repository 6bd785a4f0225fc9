import { Inject, Injectable } from '@nestjs/common';
import {
  exportJWK,
  generateKeyPair,
  importJWK,
  SignJWT,
  type JWK,
  type JWTPayload,
  type CryptoKey,
} from 'jose';
import { DataSource, LessThanOrEqual, MoreThan, type Repository } from 'typeorm';
import { SecretBox } from '../crypto/secret-box.js';
import { CLOCK, IDENTITY_OPTIONS, type Clock, type IdentityOptions } from '../identity.options.js';
import { SigningKeyEntity, type SigningAlgorithm } from './signing-key.entity.js';

interface ActiveKey {
  kid: string;
  algorithm: SigningAlgorithm;
  key: CryptoKey;
  expiresAt: number;
}

/** Any instance may rotate; this lock makes the decision once per database. */
const rotationLock = 0x7061726c; // "parl"

/**
 * Access-token signing keys: key pairs kept in the database (private halves encrypted), rotated
 * with overlap. A new key is published `keyPublishLeadMs` before it signs, and an old key stays
 * published until every token it signed has expired.
 */
@Injectable()
export class SigningKeysService {
  private readonly box: SecretBox;
  private active: ActiveKey | undefined;

  constructor(
    private readonly dataSource: DataSource,
    @Inject(IDENTITY_OPTIONS) private readonly options: IdentityOptions,
    @Inject(CLOCK) private readonly clock: Clock,
  ) {
    this.box = new SecretBox(options.keyEncryptionSecret);
  }

  /** Makes sure a signing key is active and its successor is published in time. */
  async rotate(): Promise<void> {
    await this.dataSource.transaction(async (manager) => {
      await manager.query('SELECT pg_advisory_xact_lock($1)', [rotationLock]);
      const now = this.clock();
      const keys = manager.getRepository(SigningKeyEntity);
      const newest = await keys.findOne({ where: {}, order: { activatesAt: 'DESC' } });
      if (!newest || newest.expiresAt.getTime() <= now.getTime()) {
        await this.createKey(keys, now);
        return;
      }
      if (newest.expiresAt.getTime() - this.options.keyPublishLeadMs <= now.getTime()) {
        await this.createKey(keys, newest.expiresAt);
      }
    });
    this.active = undefined;
  }

  /**
   * Signs the claims with the current key. `issuedAt` is the instant `expiresAt` was counted from
   * (now when omitted), so that the token's lifetime is exactly the one intended.
   */
  async sign(claims: JWTPayload, subject: string, expiresAt: Date, issuedAt = this.clock()): Promise<string> {
    const key = await this.currentKey();
    return new SignJWT(claims)
      .setProtectedHeader({ alg: key.algorithm, kid: key.kid, typ: 'at+jwt' })
      .setIssuer(this.options.issuer)
      .setAudience(this.options.audience)
      .setSubject(subject)
      .setIssuedAt(Math.floor(issuedAt.getTime() / 1000))
      .setExpirationTime(Math.floor(expiresAt.getTime() / 1000))
      .setJti(crypto.randomUUID())
      .sign(key.key);
  }

  /** The public keys verifiers need now: the signing key, its published successor, and recent ones. */
  async jwks(): Promise<{ keys: JWK[] }> {
    const now = this.clock().getTime();
    const rows = await this.dataSource.getRepository(SigningKeyEntity).find({
      where: {
        activatesAt: LessThanOrEqual(new Date(now + this.options.keyPublishLeadMs)),
        expiresAt: MoreThan(new Date(now - this.options.accessTokenTtlMs)),
      },
      order: { activatesAt: 'DESC' },
    });
    return { keys: rows.map((row) => row.publicJwk) };
  }

  private async currentKey(): Promise<ActiveKey> {
    const now = this.clock().getTime();
    if (this.active && this.active.expiresAt > now) {
      return this.active;
    }
    const row = await this.findActive(now);
    if (row) {
      this.active = await this.load(row);
      return this.active;
    }
    await this.rotate();
    const created = await this.findActive(this.clock().getTime());
    /* c8 ignore next 3 -- rotate() always leaves an active key behind */
    if (!created) {
      throw new Error('No signing key is active after rotation');
    }
    this.active = await this.load(created);
    return this.active;
  }

  private findActive(now: number): Promise<SigningKeyEntity | null> {
    return this.dataSource.getRepository(SigningKeyEntity).findOne({
      where: { activatesAt: LessThanOrEqual(new Date(now)), expiresAt: MoreThan(new Date(now)) },
      order: { activatesAt: 'DESC' },
    });
  }

  private async load(row: SigningKeyEntity): Promise<ActiveKey> {
    const jwk = JSON.parse(this.box.open(row.privateJwkCiphertext)) as JWK;
    const key = (await importJWK(jwk, row.algorithm)) as CryptoKey;
    return { kid: row.id, algorithm: row.algorithm, key, expiresAt: row.expiresAt.getTime() };
  }

  private async createKey(keys: Repository<SigningKeyEntity>, activatesAt: Date): Promise<void> {
    const algorithm = this.options.signingAlgorithm;
    const { publicKey, privateKey } = await generateKeyPair(
      algorithm,
      algorithm === 'EdDSA'
        ? { crv: 'Ed25519', extractable: true }
        : { modulusLength: 2048, extractable: true },
    );
    const id = crypto.randomUUID();
    const publicJwk = { ...(await exportJWK(publicKey)), kid: id, alg: algorithm, use: 'sig' };
    const privateJwk = await exportJWK(privateKey);
    await keys.insert({
      id,
      algorithm,
      publicJwk,
      privateJwkCiphertext: this.box.seal(JSON.stringify(privateJwk)),
      activatesAt,
      expiresAt: new Date(activatesAt.getTime() + this.options.keyLifetimeMs),
    });
  }
}
