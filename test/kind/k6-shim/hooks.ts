// ESM resolve hook of the k6 shim (register.ts installs it): the k6 modules the lab's script imports
// resolve to the shim's own modules in this directory; any other k6 module is named, not guessed.

const SHIMMED: Record<string, string> = { 'k6/http': './http.js', 'k6/metrics': './metrics.js', 'k6/execution': './execution.js' };

type Next = (specifier: string, context: unknown) => Promise<{ url: string }>;

export async function resolve(specifier: string, context: unknown, next: Next): Promise<{ url: string; shortCircuit?: boolean }> {
  const file = SHIMMED[specifier];
  if (file) return { url: new URL(file, import.meta.url).href, shortCircuit: true };
  if (specifier === 'k6' || specifier.startsWith('k6/')) throw new Error(`k6 shim: the script imports ${specifier}, which the shim does not provide (test/kind/k6-shim/hooks.ts)`);
  return next(specifier, context);
}
