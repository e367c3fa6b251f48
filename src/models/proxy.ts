/**
 * Which proxy a request goes through. The editor passes `http.proxy`; the CLI reads the usual
 * environment variables with `proxyFromEnv`. Hosts in the no-proxy list go direct.
 */
export interface ProxySettings {
  /** Proxy URL (`http://host:port`, credentials allowed); undefined: direct connections. */
  readonly url?: string;
  /** `NO_PROXY` syntax: comma-separated host names or suffixes (`.corp`, `corp`), `*` for all; default none. */
  readonly noProxy?: string;
}

export function proxyFromEnv(env: NodeJS.ProcessEnv = process.env): ProxySettings {
  const url = env.HTTPS_PROXY ?? env.https_proxy ?? env.HTTP_PROXY ?? env.http_proxy;
  const noProxy = env.NO_PROXY ?? env.no_proxy;
  return { ...(url ? { url } : {}), ...(noProxy ? { noProxy } : {}) };
}

function bypasses(host: string, noProxy: string | undefined): boolean {
  if (!noProxy) {
    return false;
  }
  const name = host.toLowerCase().replace(/^\[|\]$/g, '');
  return noProxy
    .split(',')
    .map((e) => e.trim().toLowerCase().replace(/:\d+$/, ''))
    .filter((e) => e !== '')
    .some((e) => e === '*' || name === e.replace(/^\./, '') || name.endsWith(e.startsWith('.') ? e : `.${e}`));
}

/** The proxy to use for `target`, or undefined for a direct connection. */
export function proxyFor(target: URL, settings: ProxySettings | undefined): URL | undefined {
  if (!settings?.url || bypasses(target.hostname, settings.noProxy)) {
    return undefined;
  }
  return new URL(settings.url);
}
