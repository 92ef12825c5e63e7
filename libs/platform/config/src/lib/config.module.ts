import { DynamicModule, Global, Module } from '@nestjs/common';
import { StrataConfig } from './environment';

/** Makes the one parsed {@link StrataConfig} injectable in every module of the process. */
@Global()
@Module({})
export class ConfigModule {
  static forRoot(config: StrataConfig): DynamicModule {
    return { module: ConfigModule, providers: [{ provide: StrataConfig, useValue: config }], exports: [StrataConfig] };
  }
}
