/** Every sub-command, in the order `bertweb --help` lists them. */
import type { Command } from '../command.js';
import { tokenizeCommand } from './tokenize.js';

export const COMMANDS: readonly Command[] = [tokenizeCommand];
