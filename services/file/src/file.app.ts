import type { INestApplication } from '@nestjs/common';
import { startGuardedService } from '@parley/permissions';
import type { FileConfig } from './file.config.js';
import { FileModule, type FileOverrides } from './file.module.js';

/**
 * Builds and starts the file service: NATS request handlers and the HTTP server (uploads,
 * downloads, health, metrics). No body parser: an upload's body is the file, streamed by the
 * upload handler, and no other route takes a body.
 */
export function startFile(config: FileConfig, overrides: FileOverrides = {}): Promise<INestApplication> {
  return startGuardedService(FileModule.forRoot(config, overrides), {
    ...config,
    queue: 'file',
    bodyParser: false,
  });
}
