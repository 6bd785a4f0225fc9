import { Injectable, Module } from '@nestjs/common';
import { Test } from '@nestjs/testing';
import { ConfigError, type ConfigOf, defineConfig } from './config.js';
import { CONFIG, ConfigModule, InjectConfig } from './config.module.js';
import { env } from './variable.js';

const definition = defineConfig({
  GREETING: env.string({ description: 'What to say', default: 'hello' }),
  RETRIES: env.int({ description: 'How often to retry' }),
});

@Injectable()
class Greeter {
  constructor(@InjectConfig() readonly config: ConfigOf<typeof definition>) {}
}

// A feature module that does not import ConfigModule: the config is global.
@Module({ providers: [Greeter], exports: [Greeter] })
class FeatureModule {}

describe('ConfigModule', () => {
  it('provides the parsed configuration globally under CONFIG', async () => {
    const moduleRef = await Test.createTestingModule({
      imports: [ConfigModule.forRoot(definition, { env: { RETRIES: '3' } }), FeatureModule],
    }).compile();
    expect(moduleRef.get(Greeter).config).toEqual({ GREETING: 'hello', RETRIES: 3 });
    expect(moduleRef.get(CONFIG)).toBe(moduleRef.get(Greeter).config);
    await moduleRef.close();
  });

  it('fails the start listing the bad variables', async () => {
    const building = Test.createTestingModule({
      imports: [ConfigModule.forRoot(definition, { env: { RETRIES: 'often' } })],
    }).compile();
    await expect(building).rejects.toThrow(ConfigError);
    await expect(building).rejects.toThrow(
      'RETRIES: Expected a whole number, got "often" (How often to retry)',
    );
  });
});
