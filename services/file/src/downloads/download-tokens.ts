import { errors, jwtVerify, SignJWT } from 'jose';
import { fileDispositions, ParleyError, type FileDisposition } from '@parley/contracts';

const issuer = 'parley-file';
const audience = 'parley-file-download';
const algorithm = 'HS256';

/** What a signed download URL opens: one file of one tenant, presented one way, until it expires. */
export interface SignedDownload {
  readonly fileId: string;
  readonly tenantId: string;
  readonly disposition: FileDisposition;
}

/**
 * The tokens in signed download URLs: JWTs signed with HS256 and the service's secret, so any
 * instance can check a URL another one made, without a database lookup for the URL itself. A token
 * names one file and nothing about who asked for it; it is not an access token and never becomes
 * one.
 */
export class DownloadTokens {
  private readonly key: Uint8Array;

  constructor(
    secret: string,
    private readonly ttlMs: number,
  ) {
    this.key = new TextEncoder().encode(secret);
  }

  async sign(download: SignedDownload, now: Date): Promise<{ token: string; expiresAt: Date }> {
    const issuedAt = Math.floor(now.getTime() / 1000);
    const expiresAt = new Date((issuedAt + Math.floor(this.ttlMs / 1000)) * 1000);
    const token = await new SignJWT({ tid: download.tenantId, dsp: download.disposition })
      .setProtectedHeader({ alg: algorithm })
      .setIssuer(issuer)
      .setAudience(audience)
      .setSubject(download.fileId)
      .setIssuedAt(issuedAt)
      .setExpirationTime(expiresAt)
      .sign(this.key);
    return { token, expiresAt };
  }

  /**
   * What a token opens. An expired one is refused as such (the holder may ask for a new URL);
   * anything else wrong is answered as a file that does not exist.
   */
  async verify(token: string, now: Date): Promise<SignedDownload> {
    try {
      const { payload } = await jwtVerify(token, this.key, {
        algorithms: [algorithm],
        issuer,
        audience,
        currentDate: now,
        requiredClaims: ['sub', 'exp', 'tid', 'dsp'],
      });
      const disposition = fileDispositions.find((value) => value === payload['dsp']);
      const tenantId = payload['tid'];
      if (typeof payload.sub !== 'string' || typeof tenantId !== 'string' || disposition === undefined) {
        throw new ParleyError('not_found', 'No such file');
      }
      return { fileId: payload.sub, tenantId, disposition };
    } catch (error) {
      if (error instanceof errors.JWTExpired) {
        throw new ParleyError('forbidden', 'The download URL has expired', { reason: 'expired' });
      }
      if (error instanceof ParleyError) {
        throw error;
      }
      throw new ParleyError('not_found', 'No such file');
    }
  }
}
