/**
 * A small seeded PRNG (sfc32 seeded through splitmix32). Math.random cannot be seeded, and the
 * same seed must give the same sample on every platform.
 */
export type Random = () => number;

function splitmix32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x9e3779b9) >>> 0;
    let z = state;
    z = Math.imul(z ^ (z >>> 16), 0x85ebca6b) >>> 0;
    z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35) >>> 0;
    return (z ^ (z >>> 16)) >>> 0;
  };
}

/** Returns a generator of floats in [0, 1) fully determined by `seed` (any finite number). */
export function seededRandom(seed: number): Random {
  const mix = splitmix32(Math.floor(seed) ^ Math.floor(seed / 0x100000000));
  let a = mix();
  let b = mix();
  let c = mix();
  let d = mix();
  return () => {
    const t = (((a + b) >>> 0) + d) >>> 0;
    d = (d + 1) >>> 0;
    a = b ^ (b >>> 9);
    b = (c + (c << 3)) >>> 0;
    c = ((c << 21) | (c >>> 11)) >>> 0;
    c = (c + t) >>> 0;
    return t / 0x100000000;
  };
}

/** A seed for requests that did not ask for one. */
export function randomSeed(): number {
  return Math.floor(Math.random() * 0x100000000);
}
