import 'reflect-metadata';
import { loadConfig } from '@parley/config';
import { permissionConfig } from './permission.config.js';
import { startPermission } from './permission.app.js';

await startPermission(loadConfig(permissionConfig));
