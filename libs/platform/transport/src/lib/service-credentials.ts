import { createHmac, timingSafeEqual } from 'node:crypto';
import { MIN_SECRET_LENGTH } from '@strata/platform/config';

/**
 * Service credentials for internal calls. Every unit of a deployment shares one secret; a unit's
 * credential is `<unit>.<HMAC-SHA256(secret, unit)>`, so it proves both that the caller knows the
 * secret and which unit it is, without a round trip or a token service. node:crypto does the
 * cryptography; this class only names and compares.
 *
 * Credentials do not expire: rotating the secret (and restarting the units) revokes them all. A
 * deployment that needs per-call expiry or mutual TLS can swap this class without touching ports.
 */
export class ServiceCredentials {
  private readonly verified = new Map<string, string>();

  constructor(private readonly secret: string) {
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new Error(`The internal auth secret must be at least ${MIN_SECRET_LENGTH} characters long`);
    }
  }

  /** The credential a unit presents on every call it makes. */
  issue(unit: string): string {
    return `${unit}.${this.mac(unit)}`;
  }

  /** The unit a credential belongs to, or undefined when it is not valid for this deployment. */
  verify(credential: unknown): string | undefined {
    if (typeof credential !== 'string' || credential.length > 512) return undefined;
    const known = this.verified.get(credential);
    if (known) return known;
    const separator = credential.lastIndexOf('.');
    if (separator <= 0) return undefined;
    const unit = credential.slice(0, separator);
    const given = Buffer.from(credential.slice(separator + 1));
    const expected = Buffer.from(this.mac(unit));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    // Only valid credentials are remembered: one per unit, so the map stays tiny.
    this.verified.set(credential, unit);
    return unit;
  }

  private mac(unit: string): string {
    return createHmac('sha256', this.secret).update(`strata-unit:${unit}`).digest('base64url');
  }
}
