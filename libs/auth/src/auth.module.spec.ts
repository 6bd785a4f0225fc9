import { Controller, Get, Module, UseGuards } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import {
  accessToken,
  audience,
  FakeJwksSource,
  identity,
  issuer,
  keySet,
  signingKey,
} from '../test/token-factory.js';
import { AuthGuard } from './auth.guard.js';
import { AuthModule } from './auth.module.js';
import { TokenVerifier } from './token-verifier.js';

@Controller()
class GuardedController {
  @Get()
  @UseGuards(AuthGuard)
  get(): string {
    return 'ok';
  }
}

// A feature module importing nothing from auth: AuthModule is global.
@Module({ controllers: [GuardedController] })
class FeatureModule {}

describe('AuthModule.forRoot', () => {
  it('provides one TokenVerifier and the AuthGuard to every module', async () => {
    const key = await signingKey();
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuthModule.forRoot({ issuer, audience, jwks: new FakeJwksSource(keySet(key)).source }),
        FeatureModule,
      ],
    }).compile();

    const verifier = moduleRef.get(TokenVerifier);
    expect(verifier).toBeInstanceOf(TokenVerifier);
    expect(moduleRef.get(AuthGuard)).toBeInstanceOf(AuthGuard);
    const who = identity();
    await expect(verifier.verify(await accessToken(key, who))).resolves.toMatchObject({ userId: who.userId });
    await moduleRef.close();
  });

  it('builds the verifier from a factory without imports or inject', async () => {
    const key = await signingKey();
    const moduleRef = await Test.createTestingModule({
      imports: [
        AuthModule.forRootAsync({
          useFactory: async () => ({ issuer, audience, jwks: new FakeJwksSource(keySet(key)).source }),
        }),
      ],
    }).compile();
    await expect(
      moduleRef.get(TokenVerifier).verify(await accessToken(key, identity())),
    ).resolves.toBeDefined();
    await moduleRef.close();
  });
});
