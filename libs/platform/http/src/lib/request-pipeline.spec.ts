import helmet from 'helmet';
import { once } from 'node:events';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { helmetHeaders, SECURITY_HEADERS } from './request-pipeline';

describe('helmetHeaders', () => {
  it('are the headers helmet sets on a real response, computed once', async () => {
    const applyHelmet = helmet(SECURITY_HEADERS) as (request: IncomingMessage, response: ServerResponse, next: () => void) => void;
    const server = createServer((request, response) => applyHelmet(request, response, () => response.end()));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    try {
      const response = await fetch(`http://127.0.0.1:${(server.address() as AddressInfo).port}/`);
      const fromHelmet = Object.fromEntries(
        [...response.headers].filter(
          ([name]) => !['date', 'connection', 'keep-alive', 'content-length', 'transfer-encoding'].includes(name),
        ),
      );
      const computed = Object.fromEntries(
        Object.entries(helmetHeaders(SECURITY_HEADERS)).map(([name, value]) => [name.toLowerCase(), value]),
      );

      expect(computed).toEqual(fromHelmet);
      expect(computed['content-security-policy']).toContain("default-src 'self'");
    } finally {
      server.close();
    }
  });
});
