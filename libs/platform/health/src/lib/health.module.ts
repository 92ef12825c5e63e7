import { DynamicModule, Module } from '@nestjs/common';
import { TerminusModule } from '@nestjs/terminus';
import { HealthController } from './health.controller';
import { HEALTH_CHECKS, type HealthChecks } from './health.options';
import { Readiness } from './readiness';

@Module({})
export class HealthModule {
  static forRoot(checks: HealthChecks): DynamicModule {
    return {
      module: HealthModule,
      global: true,
      imports: [TerminusModule.forRoot({ errorLogStyle: 'pretty' })],
      controllers: [HealthController],
      providers: [{ provide: HEALTH_CHECKS, useValue: checks }, Readiness],
      exports: [Readiness],
    };
  }
}
