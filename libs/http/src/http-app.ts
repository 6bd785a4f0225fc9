import type { INestApplication } from '@nestjs/common';
import { HttpErrorFilter } from './http-error.filter.js';

/** What every service's HTTP side gets: the error envelope, and no framework banner header. */
export function prepareHttpApp(app: INestApplication): void {
  app.useGlobalFilters(new HttpErrorFilter());
  // Express has `disable`; another HTTP adapter has no such header to turn off.
  const server: unknown = app.getHttpAdapter().getInstance();
  if (hasDisable(server)) {
    server.disable('x-powered-by');
  }
}

function hasDisable(server: unknown): server is { disable(setting: string): void } {
  return typeof server === 'function' && typeof (server as { disable?: unknown }).disable === 'function';
}
