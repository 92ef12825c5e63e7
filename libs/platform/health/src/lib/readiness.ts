import { Injectable } from '@nestjs/common';

/**
 * Whether this unit wants new work. The unit's shutdown withdraws it first, so `/health` answers
 * 503 and load balancers stop sending requests while the unit still serves the ones it has.
 */
@Injectable()
export class Readiness {
  private withdrawn = false;

  get ready(): boolean {
    return !this.withdrawn;
  }

  withdraw(): void {
    this.withdrawn = true;
  }
}
