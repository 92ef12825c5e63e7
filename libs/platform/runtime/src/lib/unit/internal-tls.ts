import type { StrataConfig } from '@strata/platform/config';
import type { InternalTls } from '@strata/platform/transport';
import { readFileSync } from 'node:fs';

/** The PEM files `INTERNAL_TLS_CERT`, `INTERNAL_TLS_KEY` and `INTERNAL_TLS_CA` name, read; undefined without TLS. */
export function readInternalTls(config: StrataConfig): InternalTls | undefined {
  const files = config.transport.tls;
  if (!files) return undefined;
  const read = (variable: string, path: string) => {
    try {
      return readFileSync(path, 'utf8');
    } catch (error) {
      throw new Error(`${variable} names ${path}, which cannot be read (${(error as NodeJS.ErrnoException).code ?? String(error)})`);
    }
  };
  return {
    cert: read('INTERNAL_TLS_CERT', files.certFile),
    key: read('INTERNAL_TLS_KEY', files.keyFile),
    ...(files.caFile ? { ca: read('INTERNAL_TLS_CA', files.caFile) } : {}),
  };
}
