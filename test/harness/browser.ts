/** Debian's Chromium driven by playwright-core; never a downloaded browser. */
import * as fs from 'node:fs';
import { chromium, type Browser } from 'playwright-core';
import { CHROMIUM_BIN } from './paths';

export const CHROMIUM_ARGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--disable-dev-shm-usage',
];

export async function launchBrowser(): Promise<Browser> {
  if (!fs.existsSync(CHROMIUM_BIN)) {
    throw new Error(`Chromium is not installed at ${CHROMIUM_BIN}; run tools/vscode/ensure.sh`);
  }
  // playwright-core gives every launch a fresh temporary profile.
  return chromium.launch({ executablePath: CHROMIUM_BIN, headless: true, args: CHROMIUM_ARGS });
}
