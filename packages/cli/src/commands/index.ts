/** Every sub-command, in the order `bertweb --help` lists them. */
import { BertwebError } from '@bertweb/core';
import { checkFlags } from '../args.js';
import type { Command } from '../command.js';
import { classifyCommand } from './classify.js';
import { convertCommand } from './convert.js';
import { embedCommand } from './embed.js';
import { evalNerCommand } from './eval-ner.js';
import { evalSquadCommand } from './eval-squad.js';
import { evalStsCommand } from './eval-sts.js';
import { qaCommand } from './qa.js';
import { rankCommand } from './rank.js';
import { tagCommand } from './tag.js';
import { tokenizeCommand } from './tokenize.js';

/** Evaluations behind `bertweb eval <target>`: each is a command named `eval-<target>`. */
const EVALUATIONS: readonly Command[] = [evalSquadCommand, evalStsCommand, evalNerCommand];

/**
 * `bertweb eval <target> ...` runs the command named `eval-<target>` with the remaining arguments.
 * Flags are parsed before dispatch, so the router accepts the union of the targets' boolean flags.
 */
function evalRouter(targets: readonly Command[]): Command {
  const names = targets.map((t) => t.name.replace(/^eval-/, ''));
  return {
    name: 'eval',
    summary: `evaluate a model on a dataset: ${names.join(' | ')} -> metrics JSON`,
    usage: [`bertweb eval ${names.join('|')} --model M --data FILE ...`, ...targets.map((t) => `\n${t.usage}`)].join(
      '\n',
    ),
    flags: [...new Set(targets.flatMap((t) => t.flags))],
    booleanFlags: [...new Set(targets.flatMap((t) => t.booleanFlags ?? []))],
    async run(args, io) {
      const [target, ...positionals] = args.positionals;
      const command = targets.find((t) => t.name === `eval-${target}`);
      if (!command) {
        throw new BertwebError(
          'INPUT_INVALID',
          `bertweb eval needs one of ${names.join(', ')}; got ${target ?? 'none'}`,
        );
      }
      checkFlags(args, command.flags);
      await command.run({ positionals, flags: args.flags }, io);
    },
  };
}

export const COMMANDS: readonly Command[] = [
  tokenizeCommand,
  tagCommand,
  qaCommand,
  embedCommand,
  classifyCommand,
  rankCommand,
  convertCommand,
  evalRouter(EVALUATIONS),
];
