import { existsSync } from 'node:fs';

/**
 * Debian's Chromium (`apt-get install chromium`), or the one CHROMIUM_PATH names; null when there
 * is none, and the browser tests are skipped. playwright-core drives it; it downloads no browser.
 */
export const CHROMIUM_PATH: string | null =
  [process.env.CHROMIUM_PATH, '/usr/bin/chromium'].find((path): path is string => !!path && existsSync(path)) ?? null;

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
