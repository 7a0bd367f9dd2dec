// The `kdlts` program: one commander subcommand per file in commands/.
import { Command } from 'commander';

import { impCommand } from './commands/imp';
import { pruneCommand } from './commands/prune';
import { trainCommand } from './commands/train';
import { processIo, type CliIo } from './io';

export function createProgram(io: CliIo = processIo): Command {
  const program = new Command('kdlts')
    .description('Knowledge-Distillation Lottery Ticket Search: sparse winning tickets at initialization, and the baselines')
    .showHelpAfterError('(add --help for usage)')
    .configureOutput({ writeOut: io.out, writeErr: io.err });
  program.addCommand(trainCommand(io));
  program.addCommand(pruneCommand(io));
  program.addCommand(impCommand(io));
  for (const c of program.commands) c.configureOutput({ writeOut: io.out, writeErr: io.err }).showHelpAfterError('(add --help for usage)');
  return program;
}

/** Runs the program; returns the exit code (errors are printed, never thrown). */
export async function main(argv: string[], io: CliIo = processIo): Promise<number> {
  const program = createProgram(io).exitOverride();
  for (const c of program.commands) c.exitOverride();
  try {
    await program.parseAsync(argv, { from: 'user' });
    return 0;
  } catch (error) {
    const e = error as { code?: string; exitCode?: number; message?: string };
    if (typeof e.code === 'string' && e.code.startsWith('commander.')) return e.exitCode ?? 2; // commander printed it
    io.err(`kdlts: error: ${e.message ?? String(error)}\n`);
    return 1;
  }
}
