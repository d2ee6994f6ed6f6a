import { RegisterCommand } from '../context';
import { registerConnections } from './connections';
import { registerDemo } from './demo';
import { registerPlanApply } from './plan-apply';
import { registerSchema } from './schema';
import { registerServices } from './services';
import { simulatorCommand } from './simulator';
import { registerSnapshot } from './snapshot';
import { registerValidate } from './validate';
import { registerWhitelist } from './whitelist';

/** Every subcommand of vpcep-approver, in the order `--help` lists them. */
export const commands: RegisterCommand[] = [
  registerServices,
  registerConnections,
  registerWhitelist,
  registerValidate,
  registerSchema,
  registerPlanApply,
  simulatorCommand(),
  registerSnapshot,
  registerDemo,
];
