import { createPublicKey, createVerify, type KeyObject } from 'node:crypto';

/** A JWT taken apart; `valid` says whether its signature verifies with the key given. */
export interface CheckedJwt {
  header: Record<string, unknown>;
  claims: Record<string, unknown>;
  valid: boolean;
}

/**
 * Verifies a compact JWS the way a provider does, with node:crypto only (not the code under
 * test): RS256 against an RSA key, ES256 (raw `r ‖ s` signature) against a P-256 key.
 */
export function checkJwt(token: string, key: KeyObject): CheckedJwt {
  const [h = '', c = '', s = ''] = token.split('.');
  const header = JSON.parse(Buffer.from(h, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  const claims = JSON.parse(Buffer.from(c, 'base64url').toString('utf8')) as Record<
    string,
    unknown
  >;
  const verifier = createVerify('SHA256');
  verifier.update(`${h}.${c}`);
  const sig = Buffer.from(s, 'base64url');
  const valid =
    header.alg === 'ES256'
      ? verifier.verify({ key, dsaEncoding: 'ieee-p1363' }, sig)
      : header.alg === 'RS256' && verifier.verify(key, sig);
  return { header, claims, valid };
}

/** A P-256 public key given as the 65-byte uncompressed point (VAPID's `k`), as a KeyObject. */
export function p256PublicKey(point: Buffer): KeyObject {
  return createPublicKey({
    key: {
      kty: 'EC',
      crv: 'P-256',
      x: point.subarray(1, 33).toString('base64url'),
      y: point.subarray(33, 65).toString('base64url'),
    },
    format: 'jwk',
  });
}
