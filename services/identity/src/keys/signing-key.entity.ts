import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { JWK } from 'jose';

/** RS256 verifies fastest (verification outnumbers signing by far); EdDSA gives smaller tokens. */
export const signingAlgorithms = ['RS256', 'EdDSA'] as const;
export type SigningAlgorithm = (typeof signingAlgorithms)[number];

@Entity({ schema: 'identity', name: 'signing_keys' })
export class SigningKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('text')
  algorithm!: SigningAlgorithm;

  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk!: JWK;

  @Column({ name: 'private_jwk_ciphertext', type: 'text' })
  privateJwkCiphertext!: string;

  @Column({ name: 'activates_at', type: 'timestamptz' })
  activatesAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
