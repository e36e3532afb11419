/**
 * The fork's own stacks for `coop init --stack NAME[:SHAPE]`: which example spec each new stack
 * starts from, and what the example's stack names become in its text. Pure: init.ts reads and
 * writes the files.
 *
 * Shapes (the bundled examples):
 * - one-host (the default): stacks/example.yaml, every service on one Hetzner server;
 * - split: stacks/split-mail.yaml, split-social.yaml and split-cloud.yaml, one server each;
 *   NAME:split makes NAME-mail, NAME-social and NAME-cloud, the last two sending mail through
 *   NAME-mail (their StackReference is renamed with them);
 * - grown: stacks/example-grown.yaml, one host with its database and Sidekiq workers on hosts of
 *   their own and Mastodon's media in object storage (docs/runbook/growth.md);
 * - local: stacks/local.yaml, the services on this machine's Docker engine.
 * A NAME whose stacks/NAME.yaml already exists keeps its own file (a shape cannot be given).
 */
import { InputError } from "../../kernel/errors";
import { STACK_NAME_RE } from "../../stacks/load";

export const SHAPES = ["one-host", "split", "grown", "local"] as const;
export type Shape = (typeof SHAPES)[number];

/** The bundled example specs, by stack name. */
export const EXAMPLE_STACKS: Readonly<Record<string, Shape>> = {
  example: "one-host",
  "example-grown": "grown",
  local: "local",
  "split-mail": "split",
  "split-social": "split",
  "split-cloud": "split",
};

const SPLIT_PARTS = ["mail", "social", "cloud"] as const;

/** The example spec a one-stack shape starts from. */
const ONE_SPEC_SHAPES: Readonly<Record<Exclude<Shape, "split">, string>> = {
  "one-host": "example",
  grown: "example-grown",
  local: "local",
};

export interface StackRequest {
  readonly name: string;
  /** undefined: NAME's own spec if it exists, else one-host. */
  readonly shape?: Shape;
}

export interface NewStack {
  readonly stack: string;
  /** The spec its text starts from (its own file when it exists). */
  readonly from: string;
  /** Example stack names to rename in that text (split-mail → river-mail). */
  readonly renames: ReadonlyArray<readonly [from: string, to: string]>;
}

export function parseStackRequest(text: string): StackRequest {
  const [name, shape, ...rest] = text.split(":");
  if (rest.length > 0 || !name)
    throw new InputError(
      `--stack '${text}' must be NAME or NAME:SHAPE`,
      `e.g. --stack prod or --stack prod:split (shapes: ${SHAPES.join(", ")})`,
    );
  if (!STACK_NAME_RE.test(name))
    throw new InputError(
      `--stack '${name}' is not a stack name`,
      "letters, digits, '-', '_' and '.', starting with a letter or digit, e.g. prod",
    );
  if (shape !== undefined && !(SHAPES as readonly string[]).includes(shape))
    throw new InputError(`--stack ${name}: unknown shape '${shape}'`, `use one of ${SHAPES.join(", ")}, e.g. --stack ${name}:one-host`);
  return { name, shape: shape as Shape | undefined };
}

/** The stacks the requests make, from the specs that exist (`existing`); refuses clashes. */
export function planStacks(requests: readonly StackRequest[], existing: readonly string[]): NewStack[] {
  const out: NewStack[] = [];
  for (const r of requests) {
    if (existing.includes(r.name) && !(r.name in EXAMPLE_STACKS && r.shape === EXAMPLE_STACKS[r.name])) {
      if (r.shape !== undefined)
        throw new InputError(
          `--stack ${r.name}:${r.shape}: stacks/${r.name}.yaml exists already`,
          `give --stack ${r.name} to keep that file, or another name for a new ${r.shape} stack`,
        );
      out.push({ stack: r.name, from: r.name, renames: [] });
      continue;
    }
    const shape = r.shape ?? "one-host";
    if (shape === "split") {
      const renames = SPLIT_PARTS.map((p) => [`split-${p}`, `${r.name}-${p}`] as const);
      for (const [from, to] of renames) out.push({ stack: to, from, renames });
    } else out.push({ stack: r.name, from: ONE_SPEC_SHAPES[shape], renames: [] });
  }
  const seen = new Set<string>();
  for (const s of out) {
    if (seen.has(s.stack)) throw new InputError(`--stack: the stack ${s.stack} would be made twice`, "name each stack once");
    seen.add(s.stack);
    if (!existing.includes(s.from))
      throw new InputError(
        `stacks/${s.from}.yaml, the example ${s.stack} would start from, is not in this repository`,
        `restore it from git (git restore stacks/${s.from}.yaml), or name a stack whose spec exists`,
      );
  }
  return out;
}

/** The example's stack names in a spec's text (comments and the StackReference) renamed. */
export function renameStacks(text: string, renames: NewStack["renames"]): string {
  let out = text;
  for (const [from, to] of renames) out = out.replace(new RegExp(`\\b${from.replace(/[.-]/g, "\\$&")}\\b`, "g"), to);
  return out;
}
