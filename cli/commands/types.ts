// How a command module plugs into the program: it declares its options and hands its body to `act`,
// which builds the context and records the exit code (commander ignores action return values).
import type { Command } from 'commander';
import type { Ctx } from '../context.js';

export type Act = (cmd: Command, body: (ctx: Ctx) => Promise<number>) => Promise<void>;
