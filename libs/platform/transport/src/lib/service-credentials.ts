import { createHmac, timingSafeEqual } from 'node:crypto';
import { MIN_SECRET_LENGTH } from '@strata/platform/config';

/**
 * How far from the verifier's clock a credential's time may be, either way: it bounds how long a
 * captured credential can be replayed, and the clock skew units tolerate between their hosts.
 */
export const CREDENTIAL_WINDOW_MS = 30_000;

/** How long a unit presents the same credential before it makes a new one. */
const REISSUE_AFTER_MS = 1000;
/** Credentials remembered as verified, at most. */
const MAX_VERIFIED_KEPT = 1024;

/**
 * Service credentials for internal calls. Every unit of a deployment shares one secret; a unit's
 * credential is `<unit>.<issued at, epoch ms>.<HMAC-SHA256(secret, unit and time)>`, so it proves
 * that the caller knows the secret, which unit it is, and when it was made, without a round trip
 * or a token service. A verifier accepts it within {@link CREDENTIAL_WINDOW_MS} of its own clock:
 * a credential seen on the wire can be replayed for that long at most (TLS, `INTERNAL_TLS_*`,
 * keeps it off the wire). node:crypto does the cryptography; this class only names and compares.
 */
export class ServiceCredentials {
  /** By unit: the credential issued last, handed out again for a second (see `issue`). */
  private readonly issued = new Map<string, { credential: string; issuedAt: number }>();
  /** By credential: the unit and time of those verified lately (see `verify`). */
  private readonly verified = new Map<string, { unit: string; issuedAt: number }>();

  constructor(private readonly secret: string) {
    if (secret.length < MIN_SECRET_LENGTH) {
      throw new Error(`The internal auth secret must be at least ${MIN_SECRET_LENGTH} characters long`);
    }
  }

  /**
   * The credential a unit presents on each call and connection. One made in the last second is
   * handed out again, well within the window it is accepted in: an HMAC for every call on both
   * sides was a tenth of a hop's CPU time (`npm run bench`).
   */
  issue(unit: string, now = Date.now()): string {
    const last = this.issued.get(unit);
    if (last && now >= last.issuedAt && now - last.issuedAt < REISSUE_AFTER_MS) return last.credential;
    const credential = `${unit}.${now}.${this.mac(unit, now)}`;
    this.issued.set(unit, { credential, issuedAt: now });
    return credential;
  }

  /**
   * The unit a credential belongs to, or undefined when it is not valid for this deployment now.
   * A credential verified before is not signed again, only its time checked against the window.
   */
  verify(credential: unknown, now = Date.now()): string | undefined {
    if (typeof credential !== 'string' || credential.length > 512) return undefined;
    const known = this.verified.get(credential);
    if (known) return Math.abs(now - known.issuedAt) > CREDENTIAL_WINDOW_MS ? undefined : known.unit;
    const [unit, time, signature, ...rest] = credential.split('.');
    if (!unit || !time || signature === undefined || rest.length > 0 || !/^\d{1,15}$/.test(time)) return undefined;
    const issuedAt = Number(time);
    if (Math.abs(now - issuedAt) > CREDENTIAL_WINDOW_MS) return undefined;
    const given = Buffer.from(signature);
    const expected = Buffer.from(this.mac(unit, issuedAt));
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return undefined;
    // Bounded: peers present about one new credential a second each.
    if (this.verified.size >= MAX_VERIFIED_KEPT) this.verified.clear();
    this.verified.set(credential, { unit, issuedAt });
    return unit;
  }

  private mac(unit: string, issuedAt: number): string {
    return createHmac('sha256', this.secret).update(`strata-unit:${unit}:${issuedAt}`).digest('base64url');
  }
}
