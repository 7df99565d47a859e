/** Every sub-command, in the order `bertweb --help` lists them. */
import type { Command } from '../command.js';

export const COMMANDS: readonly Command[] = [];
