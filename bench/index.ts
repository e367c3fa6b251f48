import type { Benchmark } from './common';
import { concurrencyBenchmark } from './concurrency';
import { constrainedBenchmark } from './constrained';
import { decodeBenchmark } from './decode';
import { llamaBenchmark } from './llama';
import { llamaHeadBenchmark } from './llamaHead';
import { memoryBenchmark } from './memory';
import { scaleBenchmark } from './scale';
import { toolCallsBenchmark } from './toolCalls';
import { typingBenchmark } from './typing';

/** Every benchmark `autoglm bench` can run, in the order `all` runs them. */
export const benchmarks: readonly Benchmark[] = [decodeBenchmark, typingBenchmark, concurrencyBenchmark, scaleBenchmark, llamaBenchmark, llamaHeadBenchmark, memoryBenchmark, constrainedBenchmark, toolCallsBenchmark];

export { llamaProbe } from './llamaProbe';
export { memoryProbe } from './memory';
export type { BenchContext, Benchmark } from './common';
