import 'reflect-metadata';
import { loadConfig } from '@parley/config';
import { identityConfig } from './identity.config.js';
import { startIdentity } from './identity.app.js';

await startIdentity(loadConfig(identityConfig));
