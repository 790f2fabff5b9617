/**
 * The action's entry point (dist/index.js): it turns on Node's compile cache, then loads the bundled
 * action (dist/action/), which does everything. Node ≥ 22.1 then keeps V8's compiled code for the
 * bundle in the system's temporary directory, so a later run on the same machine (another step of
 * the job, a self-hosted runner) skips most of the compiling. The bundle is loaded only now, on
 * purpose: code compiled before the cache is on is not cached.
 */
import module from 'node:module';
module.enableCompileCache?.();
await import(new URL('./action/index.js', import.meta.url).href);
