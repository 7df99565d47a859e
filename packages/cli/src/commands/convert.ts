/** `bertweb convert`: PyTorch / DeepPavlov checkpoints -> ONNX model folder (see @bertweb/convert). */
import { CONVERT_BOOLEAN_FLAGS, CONVERT_USAGE, convert, parseConvertArgs } from '@bertweb/convert';
import type { Command } from '../command.js';

export const convertCommand: Command = {
  name: 'convert',
  summary: 'PyTorch / safetensors / DeepPavlov checkpoint -> ONNX folder (fp32, fp16, q8, q4), no Python',
  usage: CONVERT_USAGE,
  booleanFlags: CONVERT_BOOLEAN_FLAGS,
  async run(args, io) {
    // @bertweb/convert owns its flag grammar; hand it the flags back in argv form.
    const argv: string[] = [...args.positionals];
    for (const [name, value] of args.flags) argv.push(value === true ? `--${name}` : `--${name}=${value}`);
    const options = parseConvertArgs(argv);
    const result = await convert({ ...options, ...(io.signal ? { signal: io.signal } : {}) });
    io.out(JSON.stringify(result));
  },
};
