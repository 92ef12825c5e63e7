import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { HEALTH_CHECKS, type HealthChecks } from './health.options';
import { Readiness } from './readiness';

@Module({})
export class HealthModule {
  /**
   * `logFormat` is the unit's (`LOG_FORMAT`): a failed check is logged as one JSON line in `json`,
   * and as terminus's coloured boxes only in `pretty`, at a terminal (in a JSON log, the boxes were
   * a dozen lines of escape codes in one message, at every readiness probe of an outage).
   */
  static forRoot(checks: HealthChecks, { logFormat }: { logFormat: 'json' | 'pretty' }): DynamicModule {
    return {
      module: HealthModule,
      global: true,
      imports: [TerminusModule.forRoot({ errorLogStyle: logFormat })],
      controllers: [HealthController],
      providers: [{ provide: HEALTH_CHECKS, useValue: checks }, Readiness],
      exports: [Readiness],
    };
  }
}
