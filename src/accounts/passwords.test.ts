import { describe, expect, test } from "bun:test";
import { hashPassword, passwordProblem, verifyAgainstNothing, verifyPassword } from "./passwords.ts";

describe("password policy", () => {
  test.each([
    ["short", "too-short"],
    ["123456789", "too-short"],
    ["qwertyuiop", "common"],
    ["Password123", "common"],
    ["1q2w3e4r5t", "common"],
    ["x".repeat(257), "too-long"],
    ["correct horse battery", null],
    ["пароль-из-кириллицы", null],
  ])("%p → %p", async (password, problem) => {
    expect(await passwordProblem(password)).toBe(problem as never);
  });

  test("lengths count characters, not bytes", async () => {
    expect(await passwordProblem("ёжикёжикё")).toBe("too-short"); // 9 characters, 18 bytes
  });
});

describe("hashing", () => {
  test("argon2id at OWASP's parameters or above, verified", async () => {
    const hash = await hashPassword("correct horse battery");
    expect(hash).toStartWith("$argon2id$v=19$m=19456,t=2,p=1$");
    expect(await verifyPassword("correct horse battery", hash)).toBe(true);
    expect(await verifyPassword("correct horse batterY", hash)).toBe(false);
    expect(await verifyAgainstNothing("anything")).toBe(false);
  });
});
