import { existsSync } from 'node:fs';

/**
 * The Chromium CHROMIUM_PATH names, else Debian's (`apt-get install chromium`); null when it is not
 * there, and the browser tests are skipped. playwright-core drives it; it downloads no browser.
 */
const candidate = process.env.CHROMIUM_PATH || '/usr/bin/chromium';
export const CHROMIUM_PATH: string | null = existsSync(candidate) ? candidate : null;

/** Headless, and nothing that reaches the network on its own (this machine reaches only npm and Debian). */
export const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
  '--no-first-run',
];
