import { Injectable } from '@nestjs/common';
import { HealthIndicatorService } from '@nestjs/terminus';
import { PeerClients } from './peer-clients';

/** Reports each peer unit this unit calls as up when it answers an authenticated ping in time. */
@Injectable()
export class PeersHealthIndicator {
  constructor(
    private readonly peers: PeerClients,
    private readonly health: HealthIndicatorService,
  ) {}

  async isHealthy(key = 'peers', timeoutMs = 1000) {
    const indicator = this.health.check(key);
    const results = await Promise.all(
      this.peers.all().map(async (client) => {
        try {
          await client.ping(timeoutMs);
          return [client.peer, { status: 'up' }] as const;
        } catch (error) {
          return [client.peer, { status: 'down', message: (error as Error).message }] as const;
        }
      }),
    );
    const details = Object.fromEntries(results);
    return results.every(([, result]) => result.status === 'up') ? indicator.up(details) : indicator.down(details);
  }
}
