/** Every krel command, in the order `krel --help` lists them. One file per command. */
import type { Command } from 'commander';
import { deleteCommand } from './delete.js';
import { publishCommand } from './publish.js';
import { pruneCommand } from './prune.js';
import { makeCommand } from './make.js';
import { verifyCommand } from './verify.js';
import { validateCommand } from './validate.js';
import { doctorCommand } from './doctor.js';
import { releaseCommand } from './release.js';
import { imagesCommand } from './images.js';
import { initCommand } from './init.js';
import { reportCommand } from './report.js';

export type CommandFactory = () => Command;

export const COMMANDS: CommandFactory[] = [
  initCommand,
  makeCommand,
  verifyCommand,
  publishCommand,
  deleteCommand,
  pruneCommand,
  validateCommand,
  reportCommand,
  doctorCommand,
  releaseCommand,
  imagesCommand,
];
