/**
 * The approved lock, governance/approved/<stack>.lock.json: the last desired-state view the
 * co-op approved, with its digest. `pulumi up` may deploy only what it describes.
 */
import { join } from "node:path";
import { z } from "zod";
import { FileProblems } from "../kernel/errors";
import { isMissing, readRegularText, SIZE_LIMITS, UnsafeFile } from "../kernel/safe-read";
import { VIEW_VERSION, viewDigest, type DesiredStateView } from "./view";
import { type JsonObject, stableJsonText } from "../kernel/json";

export const LockSchema = z
  .object({
    version: z.literal(VIEW_VERSION).describe("Format version of the view."),
    project: z.string().min(1).describe("Pulumi project name."),
    stack: z.string().min(1).describe("Pulumi stack name."),
    digest: z
      .string()
      .regex(/^[0-9a-f]{64}$/)
      .describe("sha256 of the canonical view (RFC 8785) without this field."),
    resources: z
      .array(
        z
          .object({
            urn: z.string().startsWith("urn:pulumi:"),
            type: z.string().min(1),
            name: z.string().min(1),
            provider: z
              .string()
              .startsWith("urn:pulumi:")
              .optional()
              .describe("URN of the provider the resource is deployed with (custom resources other than providers)."),
            sources: z
              .record(
                z.string(),
                z
                  .object({
                    parts: z
                      .array(
                        z.union([z.string(), z.object({ urn: z.string().startsWith("urn:pulumi:"), output: z.string().min(1) }).strict()]),
                      )
                      .min(1),
                    number: z.literal(true).optional(),
                  })
                  .strict(),
              )
              .optional()
              .describe(
                "For paths computed at preview: the other resources' outputs the value is made of (literal text and outputs in order, or one output as a number).",
              ),
            // Any JSON (the file is parsed JSON); the digest, checked on every read, covers it.
            inputs: z
              .custom<JsonObject>((v) => typeof v === "object" && v !== null && !Array.isArray(v), {
                message: "expected an object of inputs",
              })
              .describe(
                "Governed inputs (any JSON object): only secret substrings masked (<secret> from config, <generated-secret> from generated secrets, which may be unknown at a first preview); values computed from other resources as <computed>.",
              ),
          })
          .strict(),
      )
      .describe("Approved resources, sorted by URN, with governed inputs."),
  })
  .strict();

export type Lock = z.output<typeof LockSchema>;

export function lockFile(stack: string): string {
  return `governance/approved/${stack}.lock.json`;
}

export function lockPath(root: string, stack: string): string {
  return join(root, lockFile(stack));
}

export function lockFromView(view: DesiredStateView): Lock {
  return {
    version: view.version as typeof VIEW_VERSION,
    project: view.project,
    stack: view.stack,
    digest: viewDigest(view),
    resources: view.resources as Lock["resources"],
  };
}

export function viewOfLock(lock: Lock): DesiredStateView {
  return { version: lock.version, project: lock.project, stack: lock.stack, resources: lock.resources as DesiredStateView["resources"] };
}

/** Stable, reviewable text: one key per line, keys in canonical order. */
export function renderLock(lock: Lock): string {
  return stableJsonText(lock);
}

/** Most recently read locks first out; a few suffice (a run reads the same stack's lock twice). */
const readCache = new Map<string, { text: string; lock: Lock }>();
const READ_CACHE_SIZE = 4;

/**
 * Reads and checks a lock; undefined when the stack has none yet. A lock read earlier in this
 * process is reused while the file's text is unchanged (the plan and the policy pack both read
 * it, and checking it is what costs).
 */
export function readLock(root: string, stack: string): Lock | undefined {
  const path = lockPath(root, stack);
  let text: string;
  try {
    text = readRegularText(path, SIZE_LIMITS.object, lockFile(stack));
  } catch (e) {
    if (isMissing(e)) return undefined;
    throw new FileProblems([
      {
        file: lockFile(stack),
        message: e instanceof UnsafeFile ? e.reason : `cannot be read: ${(e as Error).message}`,
        hint: `restore it from git (git restore ${lockFile(stack)})`,
      },
    ]);
  }
  const hit = readCache.get(path);
  readCache.delete(path);
  const lock = hit && hit.text === text ? hit.lock : checkLockText(text, stack);
  readCache.set(path, { text, lock });
  if (readCache.size > READ_CACHE_SIZE) readCache.delete(readCache.keys().next().value!);
  return lock;
}

function checkLockText(text: string, stack: string): Lock {
  const shown = lockFile(stack);
  let data: unknown;
  try {
    data = JSON.parse(text);
  } catch (e) {
    throw new FileProblems([
      { file: shown, message: `is not valid JSON: ${(e as Error).message}`, hint: `restore it from git: git checkout -- ${shown}` },
    ]);
  }
  const parsed = LockSchema.safeParse(data);
  if (!parsed.success) {
    throw new FileProblems(
      parsed.error.issues.map((i) => ({
        file: shown,
        field: i.path.join("."),
        message: i.message,
        hint: "locks are written by `coop decide`; restore it from git",
      })),
    );
  }
  const lock = parsed.data;
  const digest = viewDigest(viewOfLock(lock));
  if (digest !== lock.digest) {
    throw new FileProblems([
      {
        file: shown,
        field: "digest",
        message: `does not match the lock's content (content hashes to ${digest})`,
        hint: "the lock was edited by hand; restore it from git or record a decision with `coop decide`",
      },
    ]);
  }
  return lock;
}
