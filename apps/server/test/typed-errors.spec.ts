import { Injectable, Module, type INestMicroservice } from '@nestjs/common';
import { Test, type TestingModule } from '@nestjs/testing';
import { CatalogPort, ProductNotFoundError } from '@strata/catalog/contracts';
import { NotFoundError } from '@strata/platform/ports';
import { freePort } from '@strata/platform/testing';
import { InternalListener, TransportModule } from '@strata/platform/transport';
import { ClsModule } from 'nestjs-cls';

/**
 * A typed error of a module's contracts is the same class on both sides of a hop: what a caller
 * can tell with `instanceof` does not depend on the topology.
 */

const SECRET = 'a-test-secret-that-is-long-enough-0123456789';
const MAX_MESSAGE_BYTES = 64 * 1024;

@Injectable()
class MissingCatalog implements Partial<CatalogPort> {
  async getProduct(productId: string): Promise<never> {
    throw new ProductNotFoundError(productId);
  }
}

describe('a typed error thrown in the data unit, seen in the gateway', () => {
  let data: INestMicroservice;
  let gateway: TestingModule;

  beforeAll(async () => {
    const port = await freePort();
    @Module({
      imports: [
        ClsModule.forRoot({ global: true }),
        TransportModule.forUnit({
          unit: 'data',
          secret: SECRET,
          serve: [CatalogPort],
          listen: { address: { host: '127.0.0.1', port }, maxConnections: 8 },
          callers: [{ unit: 'gateway', ports: [CatalogPort] }],
          peers: [],
          callTimeoutMs: 1000,
          maxMessageBytes: MAX_MESSAGE_BYTES,
        }),
      ],
      providers: [{ provide: CatalogPort, useClass: MissingCatalog }],
    })
    class DataUnit {}
    const dataModule = await Test.createTestingModule({ imports: [DataUnit] }).compile();
    data = dataModule.createNestMicroservice({ strategy: dataModule.get(InternalListener), logger: false });
    await data.listen();

    gateway = await Test.createTestingModule({
      imports: [
        ClsModule.forRoot({ global: true }),
        TransportModule.forUnit({
          unit: 'gateway',
          secret: SECRET,
          serve: [],
          callers: [],
          peers: [{ unit: 'data', address: { host: '127.0.0.1', port }, ports: [CatalogPort] }],
          callTimeoutMs: 1000,
          maxMessageBytes: MAX_MESSAGE_BYTES,
        }),
      ],
    }).compile();
    await gateway.init();
  });
  afterAll(async () => {
    await gateway?.close();
    await data?.close();
  });

  it('is an instance of its declared class, with its code, message and details', async () => {
    const error = await gateway
      .get(CatalogPort)
      .getProduct('p-1')
      .catch((reason: unknown) => reason);

    expect(error).toBeInstanceOf(ProductNotFoundError);
    expect(error).toBeInstanceOf(NotFoundError);
    expect((error as ProductNotFoundError).toEnvelope()).toEqual(new ProductNotFoundError('p-1').toEnvelope());
  });
});
