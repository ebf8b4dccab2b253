// Packages loaded with import() (client-node is ESM-only). bin/clara-wf.cjs
// compiles the bundle as a vm.Script with a code cache, and in Node 20 an
// import() in such a script has no module loader (it throws, or needs an
// experimental flag); the launcher hands over its own import() instead.
declare const __clara_import: ((specifier: string) => Promise<unknown>) | undefined;

export function importPackage<T>(specifier: string): Promise<T> {
  return (typeof __clara_import === 'function' ? __clara_import(specifier) : import(specifier)) as Promise<T>;
}
