/**
 * What a GPU provider needs from the system that onnxruntime cannot report quietly. WebGPU on
 * Linux runs on Vulkan; without the Vulkan loader Dawn (inside onnxruntime) prints its own warning
 * straight to stderr, past every onnxruntime log setting, so the engine looks for the loader first
 * and skips the attempt with a readable reason.
 */
import { existsSync, readFileSync, statSync } from 'node:fs';
import * as path from 'node:path';
import type { ConcreteProvider } from './providers';

const VULKAN_LOADER = 'libvulkan.so.1';
const LD_CACHE = '/etc/ld.so.cache';
/** The loader's cache lists every library the dynamic linker finds; a real one is well under 1 MiB. */
const LD_CACHE_LIMIT = 16 * 1024 * 1024;

function inLoaderCache(name: string): boolean {
  try {
    if (statSync(LD_CACHE).size > LD_CACHE_LIMIT) return false;
    return readFileSync(LD_CACHE).includes(name);
  } catch {
    return false;
  }
}

function inLibraryPath(name: string, env: NodeJS.ProcessEnv): boolean {
  const dirs = (env['LD_LIBRARY_PATH'] ?? '').split(':').filter((d) => d !== '');
  return dirs.some((dir) => existsSync(path.join(dir, name)));
}

/** Why `provider` cannot start on this system, when that is known without trying; else undefined. */
export function missingRuntime(provider: ConcreteProvider, platform: NodeJS.Platform = process.platform, env: NodeJS.ProcessEnv = process.env): string | undefined {
  if (provider === 'webgpu' && platform === 'linux' && !inLibraryPath(VULKAN_LOADER, env) && !inLoaderCache(VULKAN_LOADER)) {
    return `the Vulkan loader (${VULKAN_LOADER}) is not installed, and WebGPU needs it on Linux (package libvulkan1 or vulkan-loader)`;
  }
  return undefined;
}
