export * from './request-context.js';
export * from './logger.js';
export * from './security-event.js';
export * from './correlation.js';
export * from './logging.module.js';
export { InjectPinoLogger, PinoLogger } from 'nestjs-pino';
