export {
  ConfigError,
  loadConfig,
  loadConfigWithDetails,
  redactConfig,
  type LoadOptions,
  type LoadedConfig,
} from './load-config';
export { CONFIG_TREE, type Config, type RateWindow } from './schema';
export { envName } from './fields';
export { compileTrustProxy, trustProxyProblem, type TrustProxy } from './trust-proxy';
