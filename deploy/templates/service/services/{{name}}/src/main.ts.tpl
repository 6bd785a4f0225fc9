import 'reflect-metadata';
import { loadConfig } from '@parley/config';
import { {{camelName}}Config } from './{{name}}.config.js';
import { start{{Name}} } from './{{name}}.app.js';

await start{{Name}}(loadConfig({{camelName}}Config));
