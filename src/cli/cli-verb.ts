// One verb of the operators' command line: its usage line and what it does.
import type { Config } from '../config';

export interface CliVerb {
  /** One or more usage lines, shown by `meshguard` with no verb or a wrong one. */
  usage: string;
  run(args: string[], config: Config): Promise<number>;
}

/** Wrong arguments: printed with the usage, exit status 2. */
export class UsageError extends Error {}
