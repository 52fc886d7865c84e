import { describe, expect, test } from "bun:test";
import { HOTP, Secret, TOTP } from "otpauth";
import { currentTOTP, generateTOTPSecret, verifyTOTP } from "./totp.ts";

// RFC 6238 Appendix B, SHA-1 rows: the secret is the ASCII "12345678901234567890", 8 digits.
const RFC_SECRET = Secret.fromLatin1("12345678901234567890");
const RFC_VECTORS: [number, string][] = [
  [59, "94287082"],
  [1111111109, "07081804"],
  [1111111111, "14050471"],
  [1234567890, "89005924"],
  [2000000000, "69279037"],
  [20000000000, "65353130"],
];

describe("TOTP", () => {
  test.each(RFC_VECTORS)("RFC 6238 vector at T=%d is %s", (seconds, code) => {
    const totp = new TOTP({ secret: RFC_SECRET, digits: 8, period: 30, algorithm: "SHA1" });
    expect(totp.generate({ timestamp: seconds * 1000 })).toBe(code);
    expect(HOTP.generate({ secret: RFC_SECRET, counter: Math.floor(seconds / 30), digits: 8 })).toBe(code);
  });

  test("a current code is accepted once; the same code again is refused (replay)", () => {
    const secret = generateTOTPSecret();
    const now = 1_800_000_000_000;
    const code = currentTOTP(secret, now);
    const step = verifyTOTP(secret, code, null, now);
    expect(step).toBe(Math.floor(now / 30_000));
    expect(verifyTOTP(secret, code, step, now + 5_000)).toBeNull();
  });

  test("one step of drift either way is accepted, two are not; wrong or malformed codes are refused", () => {
    const secret = generateTOTPSecret();
    const now = 1_800_000_000_000;
    expect(verifyTOTP(secret, currentTOTP(secret, now - 30_000), null, now)).not.toBeNull();
    expect(verifyTOTP(secret, currentTOTP(secret, now + 30_000), null, now)).not.toBeNull();
    expect(verifyTOTP(secret, currentTOTP(secret, now - 90_000), null, now)).toBeNull();
    const wrong = String((Number(currentTOTP(secret, now)) + 1) % 1_000_000).padStart(6, "0");
    expect(verifyTOTP(secret, wrong, null, now)).toBeNull();
    for (const bad of ["", "12345", "1234567", "abcdef"]) expect(verifyTOTP(secret, bad, null, now)).toBeNull();
    expect(verifyTOTP(secret, ` ${currentTOTP(secret, now).slice(0, 3)} ${currentTOTP(secret, now).slice(3)} `, null, now)).not.toBeNull();
  });
});
