// Password verification cost: Kabinet's argon2id parameters (OWASP's floor: m = 19 MiB, t = 2, p = 1) next to
// Bun's default (m = 64 MiB, t = 2), in the same run. One verification is what every sign-in attempt costs,
// known account or not.
import { hashPassword, verifyPassword } from "../../src/accounts/passwords.ts";
import { median } from "./stats.ts";

export interface PasswordFigures {
  kabinetVerifyMs: number;
  defaultVerifyMs: number;
  perCorePerSecond: number;
}

export async function benchPasswords(runs = 9): Promise<PasswordFigures> {
  const ours = await hashPassword("a reasonably long passphrase");
  const theirs = await Bun.password.hash("a reasonably long passphrase", { algorithm: "argon2id" });
  const time = async (hash: string) => {
    const xs: number[] = [];
    for (let i = 0; i < runs; i++) {
      const t = performance.now();
      await verifyPassword("a reasonably long passphrase", hash);
      xs.push(performance.now() - t);
    }
    return median(xs);
  };
  const kabinetVerifyMs = await time(ours);
  const defaultVerifyMs = await time(theirs);
  return { kabinetVerifyMs, defaultVerifyMs, perCorePerSecond: 1000 / kabinetVerifyMs };
}
