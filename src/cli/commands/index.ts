/** Every krel command, in the order `krel --help` lists them. One file per command. */
import type { Command } from 'commander';

export type CommandFactory = () => Command;

export const COMMANDS: CommandFactory[] = [];
