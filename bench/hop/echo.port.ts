import { Injectable } from '@nestjs/common';
import { Port } from '@strata/platform/ports';

export interface EchoMessage {
  id: string;
  sku: string;
  stock: number;
}

/** A port that does no work, so a call through it costs only what the binding costs. */
@Port<EchoPort>('bench.echo', { echo: 'idempotent' })
export abstract class EchoPort {
  abstract echo(message: EchoMessage): Promise<EchoMessage>;
}

@Injectable()
export class LocalEcho extends EchoPort {
  async echo(message: EchoMessage): Promise<EchoMessage> {
    return message;
  }
}
