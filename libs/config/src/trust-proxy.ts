import proxyaddr from 'proxy-addr';

/** Decides whether a hop (`addr`, its place `i` from the socket peer) is a trusted proxy. */
export type TrustProxy = (addr: string, i: number) => boolean;

/**
 * `Server.TrustProxy`: `none`, or a comma-separated list of addresses, CIDR ranges and the
 * names `loopback`, `linklocal`, `uniquelocal`. Only hops in it may say, in
 * `X-Forwarded-For`, whom they forward for. Throws on anything else.
 */
export function compileTrustProxy(setting: string): TrustProxy {
  const list = setting
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  if (list.length === 0 || (list.length === 1 && list[0] === 'none')) return () => false;
  return proxyaddr.compile(list);
}

/** The config check of `Server.TrustProxy`: the problem, or undefined. */
export function trustProxyProblem(setting: string): string | undefined {
  try {
    compileTrustProxy(setting);
    return undefined;
  } catch (err) {
    return `"${setting}" is not a list of addresses, CIDR ranges, loopback, linklocal or uniquelocal (${(err as Error).message}). Example: loopback, 10.0.0.0/8; or none`;
  }
}
