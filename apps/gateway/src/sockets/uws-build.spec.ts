import uWS from 'uWebSockets.js';
import { UwsFallbackError, requireNativeUws, uwsBuild, type UwsRuntime } from './uws-build';

/** A runtime the installed package has no addon for (Node 22's ABI). */
const NODE_22: UwsRuntime = {
  platform: 'linux',
  arch: 'x64',
  versions: { node: '22.12.0', modules: '127' },
};

/**
 * What the package's loader returns when no addon matches: its own JavaScript stand-in,
 * as the module (`require`) and as the gateway's default import sees it (the stand-in is
 * compiled TypeScript with `__esModule`, so the default import is its `default` object).
 */
const fallbackModule = jest.requireActual('uWebSockets.js/dist/index');

describe('uwsBuild', () => {
  it('finds the native addon loaded on this machine, named for this platform and ABI', () => {
    const expected = {
      isNative: true,
      binary: `uws_${process.platform}_${process.arch}_${process.versions.modules}.node`,
      runtime: `Node ${process.versions.node} (ABI ${process.versions.modules}) on ${process.platform} ${process.arch}`,
    };
    expect(uwsBuild()).toEqual(expected);
    expect(uwsBuild(uWS)).toEqual(expected);
    expect(requireNativeUws()).toEqual(expected);
  });

  it('tells the package’s JavaScript fallback from the addon, in either import shape', () => {
    for (const loaded of [fallbackModule, fallbackModule.default]) {
      expect(typeof loaded.App).toBe('function');
      expect(uwsBuild(loaded, NODE_22)).toEqual({
        isNative: false,
        binary: 'uws_linux_x64_127.node',
        runtime: 'Node 22.12.0 (ABI 127) on linux x64',
      });
    }
  });

  it('takes no JavaScript, bound or missing App for the addon', () => {
    const bound = function App() {}.bind(null);
    const fakes: unknown[] = [{ App: () => ({}) }, { App: bound }, { App: 'App' }, {}, null];
    for (const loaded of fakes) expect(uwsBuild(loaded).isNative).toBe(false);
    // The bound function prints V8's marker: only its name gives it away.
    expect(Function.prototype.toString.call(bound)).toContain('[native code]');
  });
});

describe('requireNativeUws', () => {
  it('refuses the fallback, naming the missing binary, the runtime and the way out', () => {
    let refusal: unknown;
    try {
      requireNativeUws(fallbackModule, NODE_22);
    } catch (err) {
      refusal = err;
    }
    expect(refusal).toBeInstanceOf(UwsFallbackError);
    const error = refusal as UwsFallbackError;
    expect(error.build).toEqual(uwsBuild(fallbackModule, NODE_22));
    expect(error.message).toContain(
      'uWebSockets.js loaded its JavaScript fallback, not its native build: the installed ' +
        'package has no uws_linux_x64_127.node for Node 22.12.0 (ABI 127) on linux x64, ' +
        'or UWS_USE_FALLBACK is set.',
    );
    expect(error.message).toContain('package.json "engines" (.nvmrc)');
    expect(error.message).toContain('docs/operations.md, uWebSockets.js build');
  });

  it('returns the build, refusing nothing, when the addon is loaded', () => {
    expect(requireNativeUws(uWS, NODE_22)).toEqual({
      isNative: true,
      binary: 'uws_linux_x64_127.node',
      runtime: 'Node 22.12.0 (ABI 127) on linux x64',
    });
  });
});
