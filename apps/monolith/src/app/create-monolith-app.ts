import { NestFactory } from '@nestjs/core';
import type { NestFastifyApplication } from '@nestjs/platform-fastify';
import { configureHttpApp, createHttpAdapter } from '@strata/platform/http';
import { MonolithModule, type MonolithOptions } from './monolith.module';

/** Builds the monolith, ready to `listen`; `main.ts` and the end-to-end tests both use it. */
export async function createMonolithApp(options: MonolithOptions): Promise<NestFastifyApplication> {
  const app = await NestFactory.create<NestFastifyApplication>(MonolithModule.forRoot(options), createHttpAdapter(options.config), {
    bufferLogs: true,
  });
  await configureHttpApp(app, {
    title: 'Strata sample: order management',
    description: 'Catalog, customers and orders, served by the Strata monolith.',
  });
  return app;
}
