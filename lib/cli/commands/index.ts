import { Command } from 'commander';
import { CliContext } from '../context';
import { simulatorCommand } from './simulator';

/** A command module adds its subcommand(s) to the program. */
export type RegisterCommand = (program: Command, ctx: CliContext) => void;

/** Every subcommand of vpcep-approver, in the order `--help` lists them. */
export const commands: RegisterCommand[] = [simulatorCommand()];
