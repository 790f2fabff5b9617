// @ts-check
/**
 * mulberry32: a small, fast, seeded PRNG, so random inputs can be replayed from their seed. Plain
 * JavaScript because the benchmark scripts import it too, and they run without a TypeScript loader.
 * @param {number} seed
 * @returns {() => number} the next number in [0, 1)
 */
export function mulberry32(seed) {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4_294_967_296;
  };
}
