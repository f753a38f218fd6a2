/**
 * The `ftledger` command line: one binary, verbs by job.
 * Exit codes: 0 ok, 1 a gate or check failed, 2 bad input or usage.
 */
import { Command, CommanderError, InvalidArgumentError } from "commander";
import { demo } from "./commands/demo.js";

function int(name: string, min = 0) {
  return (v: string): number => {
    const n = Number(v);
    if (!Number.isInteger(n) || n < min) throw new InvalidArgumentError(`${name} must be an integer ≥ ${min}, got "${v}"`);
    return n;
  };
}

export function buildProgram(): Command {
  const program = new Command();
  program
    .name("ftledger")
    .description("What did this fine-tune gain, and what did it quietly trade away?")
    .exitOverride()
    .configureOutput({ outputError: (s, write) => write(s) });

  program
    .command("demo")
    .description("the main job on the embedded default: train a tiny llama on this CPU, sample it, check what it learned")
    .option("--steps <n>", "training steps", int("--steps", 1), 300)
    .option("--seed <n>", "random seed (recorded in the output)", int("--seed"), 1)
    .action(async (o: { steps: number; seed: number }) => {
      process.exitCode = await demo(o);
    });

  return program;
}

export async function main(argv: string[]): Promise<void> {
  try {
    await buildProgram().parseAsync(argv);
  } catch (e) {
    if (e instanceof CommanderError) {
      process.exitCode = e.exitCode === 0 ? 0 : 2;
      return;
    }
    process.stderr.write(`ftledger: ${(e as Error).message}\n`);
    process.exitCode = 2;
  }
}

await main(process.argv);
