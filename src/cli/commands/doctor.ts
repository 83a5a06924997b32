/** `krel doctor`: the prerequisites of `krel validate --vm`, found or missing, with the command to install them. */
import { Command } from 'commander';
import { commandIo } from '../context.js';

export function doctorCommand(): Command {
  return new Command('doctor')
    .description('check the prerequisites of krel validate --vm and say how to install what is missing')
    .option('--install', 'install the missing ones with apt-get (root)', false)
    .addHelpText(
      'after',
      '\nExit 0 when everything is present, 2 when something is missing (listed with its install command).',
    )
    .action(async (flags: { install: boolean }, cmd: Command) => {
      const { runDoctor } = await import('./doctor-run.js');
      await runDoctor(commandIo(cmd), flags);
    });
}
