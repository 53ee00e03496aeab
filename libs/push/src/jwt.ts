import { createSign, type KeyObject } from 'node:crypto';

const b64url = (v: Buffer | string) => Buffer.from(v).toString('base64url');

/**
 * A compact JWS (RFC 7515) signed with `key`: RS256 for Google's OAuth2 assertion, ES256
 * for APNs provider tokens. ES256 signatures are the raw `r ‖ s` form JWS requires
 * (`ieee-p1363`), not DER.
 */
export function signJwt(
  header: { alg: 'RS256' | 'ES256'; kid?: string },
  claims: Record<string, unknown>,
  key: KeyObject,
): string {
  const input = `${b64url(JSON.stringify({ ...header, typ: 'JWT' }))}.${b64url(JSON.stringify(claims))}`;
  const signer = createSign('SHA256');
  signer.update(input);
  const signature =
    header.alg === 'ES256' ? signer.sign({ key, dsaEncoding: 'ieee-p1363' }) : signer.sign(key);
  return `${input}.${b64url(signature)}`;
}
