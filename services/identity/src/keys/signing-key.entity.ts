import { Column, Entity, PrimaryGeneratedColumn } from 'typeorm';
import type { JWK } from 'jose';

@Entity({ schema: 'identity', name: 'signing_keys' })
export class SigningKeyEntity {
  @PrimaryGeneratedColumn('uuid')
  id!: string;

  @Column('text')
  algorithm!: 'EdDSA';

  @Column({ name: 'public_jwk', type: 'jsonb' })
  publicJwk!: JWK;

  @Column({ name: 'private_jwk_ciphertext', type: 'text' })
  privateJwkCiphertext!: string;

  @Column({ name: 'activates_at', type: 'timestamptz' })
  activatesAt!: Date;

  @Column({ name: 'expires_at', type: 'timestamptz' })
  expiresAt!: Date;
}
