import { Controller, Get, Header, Inject, Res, ServiceUnavailableException } from '@nestjs/common';
import { type HealthCheckResult, HealthCheckService, HealthIndicatorService } from '@nestjs/terminus';
import { createLogger } from '@parley/logging';
import type { Response } from 'express';
import {
  OBSERVABILITY_SETTINGS,
  type ObservabilitySettings,
  READINESS_CHECKS,
  type ReadinessCheck,
} from './observability.options.js';

/**
 * Kubernetes probes. Liveness answers while the process serves HTTP; readiness runs every check
 * (each bounded by the timeout) and answers 503 naming the failing ones.
 */
@Controller('health')
export class HealthController {
  private readonly logger = createLogger('Readiness');

  constructor(
    private readonly health: HealthCheckService,
    private readonly indicators: HealthIndicatorService,
    @Inject(READINESS_CHECKS) private readonly checks: ReadinessCheck[],
    @Inject(OBSERVABILITY_SETTINGS) private readonly settings: ObservabilitySettings,
  ) {}

  @Get('live')
  @Header('Cache-Control', 'no-store')
  live(): { status: 'ok'; service: string } {
    return { status: 'ok', service: this.settings.service };
  }

  @Get('ready')
  @Header('Cache-Control', 'no-store')
  async ready(@Res({ passthrough: true }) response: Response): Promise<HealthCheckResult> {
    try {
      return await this.health.check(
        this.checks.map(
          ({ name, check }) =>
            () =>
              this.indicators
                .check(name)
                .attempt(() => check())
                .withTimeout(this.settings.readinessTimeoutMs),
        ),
      );
    } catch (error) {
      // Answered here rather than thrown: an application-wide error filter would otherwise
      // replace the list of failing checks with a generic envelope.
      if (!(error instanceof ServiceUnavailableException)) {
        throw error;
      }
      const result = error.getResponse() as HealthCheckResult;
      this.logger.warn({ failing: result.error }, 'Not ready');
      response.status(503);
      return result;
    }
  }
}
