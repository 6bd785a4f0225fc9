import { type DynamicModule, Inject, Module } from '@nestjs/common';
import { type ConfigDefinition, type EnvSource, loadConfig } from './config.js';

/** Injection token of the parsed configuration. */
export const CONFIG = Symbol('parley:config');

/**
 * Injects the parsed configuration; type the parameter with `ConfigOf<typeof definition>`:
 * `constructor(@InjectConfig() private readonly config: ConfigOf<typeof identityConfig>) {}`.
 * In a factory provider, list `CONFIG` in `inject`.
 */
export function InjectConfig(): PropertyDecorator & ParameterDecorator {
  return Inject(CONFIG);
}

export interface ConfigModuleOptions {
  /** Raw values; the process environment when omitted. */
  env?: EnvSource;
}

@Module({})
export class ConfigModule {
  /**
   * Parses the configuration once, when the application is created, and provides it globally
   * under `CONFIG`. A bad or missing variable fails the start with every problem listed.
   */
  static forRoot(definition: ConfigDefinition, options: ConfigModuleOptions = {}): DynamicModule {
    return {
      module: ConfigModule,
      global: true,
      providers: [{ provide: CONFIG, useFactory: () => loadConfig(definition, options.env) }],
      exports: [CONFIG],
    };
  }
}
