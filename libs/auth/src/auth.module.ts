import { type DynamicModule, type InjectionToken, Module, type ModuleMetadata } from '@nestjs/common';
import { AuthGuard } from './auth.guard.js';
import { TokenVerifier, type TokenVerifierOptions } from './token-verifier.js';

export interface AuthModuleAsyncOptions extends Pick<ModuleMetadata, 'imports'> {
  inject?: InjectionToken[];
  /** Builds the verifier options from injected providers (config, a NATS client for the JWKS). */
  useFactory: (...deps: never[]) => TokenVerifierOptions | Promise<TokenVerifierOptions>;
}

@Module({})
export class AuthModule {
  /** Provides `TokenVerifier` and `AuthGuard` to every module of the application. */
  static forRoot(options: TokenVerifierOptions): DynamicModule {
    return {
      module: AuthModule,
      global: true,
      providers: [{ provide: TokenVerifier, useFactory: () => new TokenVerifier(options) }, AuthGuard],
      exports: [TokenVerifier, AuthGuard],
    };
  }

  /** Like `forRoot`, with the options built from injected providers. */
  static forRootAsync(options: AuthModuleAsyncOptions): DynamicModule {
    // Nest hands the injected providers over untyped; the caller typed them in its factory.
    const factory = options.useFactory as (
      ...deps: unknown[]
    ) => TokenVerifierOptions | Promise<TokenVerifierOptions>;
    return {
      module: AuthModule,
      global: true,
      imports: options.imports ?? [],
      providers: [
        {
          provide: TokenVerifier,
          inject: options.inject ?? [],
          useFactory: async (...deps: unknown[]) => new TokenVerifier(await factory(...deps)),
        },
        AuthGuard,
      ],
      exports: [TokenVerifier, AuthGuard],
    };
  }
}
