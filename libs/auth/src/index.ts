export {
  TokenService,
  type IssuedToken,
  type TokenClaims,
  type TokenKind,
  type TokenSettings,
} from './tokens';
export { checkSession, isRevoked, TOKEN_EPOCH_CACHE_TTL_MS, type SubjectTokens } from './sessions';
export { hashPassword, verifyPassword } from './passwords';
