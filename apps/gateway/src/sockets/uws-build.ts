import uWS from 'uWebSockets.js';

/**
 * Which uWebSockets.js the process loaded (docs/operations.md, uWebSockets.js build). The
 * package is a republish whose loader, when it has no binary for this platform and Node
 * ABI (or when `UWS_USE_FALLBACK` is set), prints a warning and returns a pure-JavaScript
 * stand-in built on `ws` instead of failing. That stand-in cannot serve the gateway: it
 * throws "not implemented" out of the HTTP server's upgrade event for any WebSocket route
 * with an `upgrade` handler, as `/ws` has, which ends the process at the first connection
 * (while `/healthz` answers 200, so a balancer would keep sending clients to it). So the
 * gateway refuses to start on it.
 */
export interface UwsBuild {
  /** Whether the compiled addon was loaded, rather than the JavaScript fallback. */
  isNative: boolean;
  /** The addon this platform and Node need: `uws_<platform>_<arch>_<ABI>.node`. */
  binary: string;
  /** `Node 20.20.2 (ABI 115) on linux x64`. */
  runtime: string;
}

/** What the package's loader reads to pick its addon (`process` by default). */
export interface UwsRuntime {
  platform: string;
  arch: string;
  versions: { node: string; modules: string };
}

/**
 * The addon's exports are functions of the compiled module, which V8 prints as
 * `function () { [native code] }`; the fallback's are JavaScript and print their source.
 * A bound function prints the same marker, so one is not taken for the addon.
 */
function isNativeFunction(value: unknown): boolean {
  if (typeof value !== 'function' || value.name.startsWith('bound ')) return false;
  return /\{\s*\[native code\]\s*\}$/.test(Function.prototype.toString.call(value));
}

/** Tells the native addon from the fallback by its `App` export; `loaded` is the module. */
export function uwsBuild(loaded: unknown = uWS, runtime: UwsRuntime = process): UwsBuild {
  const app = (loaded as { App?: unknown } | null | undefined)?.App;
  const { platform, arch, versions } = runtime;
  return {
    isNative: isNativeFunction(app),
    binary: `uws_${platform}_${arch}_${versions.modules}.node`,
    runtime: `Node ${versions.node} (ABI ${versions.modules}) on ${platform} ${arch}`,
  };
}

/** uWebSockets.js is not its native build: the gateway does not start. */
export class UwsFallbackError extends Error {
  constructor(readonly build: UwsBuild) {
    super(
      `uWebSockets.js loaded its JavaScript fallback, not its native build: the installed ` +
        `package has no ${build.binary} for ${build.runtime}, or UWS_USE_FALLBACK is set. ` +
        `The gateway cannot serve WebSockets on the fallback. Run the Node version of ` +
        `package.json "engines" (.nvmrc), or install a uWebSockets.js build that has this ` +
        `binary (docs/operations.md, uWebSockets.js build).`,
    );
    this.name = 'UwsFallbackError';
  }
}

/** The build the gateway runs on; throws `UwsFallbackError` when it is the fallback. */
export function requireNativeUws(loaded: unknown = uWS, runtime: UwsRuntime = process): UwsBuild {
  const build = uwsBuild(loaded, runtime);
  if (!build.isNative) throw new UwsFallbackError(build);
  return build;
}
