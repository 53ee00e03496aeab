export {
  TokenService,
  type IssuedToken,
  type TokenClaims,
  type TokenKind,
  type TokenSettings,
} from './tokens';
export { hashPassword, verifyPassword } from './passwords';
