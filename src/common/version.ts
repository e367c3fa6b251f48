/** Replaced at build time by esbuild from package.json; the fallback serves unbundled tests. */
declare const __AUTOGLM_VERSION__: string | undefined;

export const VERSION: string = typeof __AUTOGLM_VERSION__ === 'string' ? __AUTOGLM_VERSION__ : '0.0.0-dev';
