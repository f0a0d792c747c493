import { envInt, envString } from '../../common/env.js';

export interface ConfigEnv {
  /** CONFIG_FILE; undefined means built-in defaults and no reload source */
  configFile: string | undefined;
  /** HTTPS_PORT; 0 (unset) means no HTTPS listener even if the config names a certificate */
  httpsPort: number;
  host: string;
  /** CONFIG_DEBOUNCE_MS: triggers closer together than this coalesce into one reload */
  debounceMs: number;
}

export function configEnv(env: Record<string, string | undefined>): ConfigEnv {
  const file = envString(env, 'CONFIG_FILE', '');
  return {
    configFile: file === '' ? undefined : file,
    httpsPort: envInt(env, 'HTTPS_PORT', 0, 0, 65535),
    host: envString(env, 'HOST', '0.0.0.0'),
    debounceMs: envInt(env, 'CONFIG_DEBOUNCE_MS', 100, 0, 10_000),
  };
}
