/** The bundled action: everything happens in `run()`. `index.ts` loads it. */
import { run } from './main.js';

await run();
