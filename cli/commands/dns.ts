import { readFileSync } from "node:fs";
import { resolve } from "node:path";
import { InputError } from "../../kernel/errors";
import { loadStackSpec, resolveStackName } from "../../stacks/load";
import { checkReadiness, publishedPlaceholders } from "../../stacks/readiness";
import type { Command, Context } from "../context";
import { stringFlag } from "../context";
import { dnsReport, parseStackOutputs } from "../plan/dns-report";
import { gatherReadiness } from "../readiness/inputs";

export const command: Command = {
  name: "dns",
  summary: "print the stack's DNS records as a zone file to paste into any DNS provider",
  usage: `usage: coop dns [--stack NAME] [--outputs FILE|-] [--json]

Prints the DNS records stacks/<stack>.yaml needs (A, MX, SPF, DKIM, DMARC, MTA-STS, TLS-RPT,
SRV, CAA) as a zone file fragment, for dns.provider: manual. With dns.provider: hetzner,
Pulumi creates the same records itself and this is a copy for review.

The server's addresses and the DKIM key exist only after \`pulumi up\`; until they are given,
they are printed as placeholders (<ipv4>, "<dkim>"). Give them from the stack's outputs:

  pulumi stack output --json --stack NAME | npx coop dns --stack NAME --outputs -

(No --show-secrets: coop dns reads only the addresses and the DKIM record, none of them secret.)

  --stack NAME     the stack (optional when exactly one spec exists)
  --outputs FILE   \`pulumi stack output --json\` of the stack, from FILE or '-' (stdin)
  --json           print {stack, zone, ttl, provider, complete, missing, records:[{name,fqdn,type,ttl,values,purpose}], reverseDns, text}

Exit 0 when printed (check "complete" for placeholders), 2 on bad input.`,
  options: { outputs: { type: "string" } },
  async run(ctx) {
    const stack = resolveStackName(ctx.root, stringFlag(ctx, "stack"));
    const { spec } = loadStackSpec(ctx.root, stack);
    const { outputs, source } = readOutputs(ctx);
    const report = dnsReport(stack, spec, outputs, source);
    // The readiness check's placeholders that these records would publish, said before they are copied.
    for (const f of publishedPlaceholders(checkReadiness(await gatherReadiness(ctx.root, stack))))
      ctx.io.err(`coop: warning: do not publish these records yet: ${f.message}\n  fix: ${f.fix}`);
    if (ctx.json) {
      ctx.io.json(report);
    } else {
      ctx.io.out(report.text.trimEnd());
      if (!report.complete) {
        ctx.io.err(
          `coop: ${report.missing.join(", ")} are placeholders; after \`pulumi up\`: pulumi stack output --json --stack ${stack} | npx coop dns --stack ${stack} --outputs -`,
        );
      }
    }
    return 0;
  },
};

function readOutputs(ctx: Context): { outputs?: Record<string, unknown>; source?: string } {
  const file = stringFlag(ctx, "outputs");
  if (file === undefined) return {};
  if (file === "") throw new InputError("--outputs needs a file name, or '-' for stdin");
  if (file === "-") return { outputs: parseStackOutputs(readStdin(), "stdin"), source: "stdin" };
  let text: string;
  try {
    text = readFileSync(resolve(ctx.root, file), "utf8");
  } catch (e) {
    throw new InputError(
      `cannot read --outputs ${file}: ${(e as NodeJS.ErrnoException).code ?? (e as Error).message}`,
      "write it with: pulumi stack output --json --stack <stack> > outputs.json",
    );
  }
  return { outputs: parseStackOutputs(text, file), source: file };
}

function readStdin(): string {
  try {
    return readFileSync(0, "utf8");
  } catch (e) {
    throw new InputError(
      `cannot read the stack outputs from stdin: ${(e as Error).message}`,
      "pipe them in: pulumi stack output --json --stack <stack> | npx coop dns --stack <stack> --outputs -",
    );
  }
}
