import 'reflect-metadata';
import { loadConfig } from '@parley/config';
import { fileConfig } from './file.config.js';
import { startFile } from './file.app.js';

await startFile(loadConfig(fileConfig));
