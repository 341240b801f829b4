// Unit tests: reading the token from the URL fragment and decoding its claims.
import { test } from "node:test";
import assert from "node:assert/strict";
import { decodeToken, isExpired, tokenFromFragment } from "./token";

const b64url = (o: unknown): string => Buffer.from(JSON.stringify(o)).toString("base64url");
const jwt = (claims: unknown): string => `${b64url({ alg: "HS256", typ: "JWT" })}.${b64url(claims)}.sig`;

test("tokenFromFragment reads #token= and ignores other parameters", () => {
  assert.equal(tokenFromFragment("#token=abc.def.ghi"), "abc.def.ghi");
  assert.equal(tokenFromFragment("#x=1&token=a.b.c"), "a.b.c");
  assert.equal(tokenFromFragment("token=a.b.c"), "a.b.c");
  assert.equal(tokenFromFragment(""), null);
  assert.equal(tokenFromFragment("#"), null);
  assert.equal(tokenFromFragment("#token="), null);
  assert.equal(tokenFromFragment("#other=1"), null);
});

test("decodeToken returns sub, role, tid and exp", () => {
  const t = jwt({ sub: "booker@demo", role: "booker", tid: "t-1", exp: 2_000_000_000 });
  assert.deepEqual(decodeToken(t), { sub: "booker@demo", role: "booker", tid: "t-1", exp: 2_000_000_000 });
});

test("decodeToken handles non-ASCII subjects", () => {
  const t = jwt({ sub: "jürgen@demo", role: "viewer", tid: "t", exp: 1 });
  assert.equal(decodeToken(t)?.sub, "jürgen@demo");
});

test("decodeToken rejects malformed tokens and unknown roles", () => {
  assert.equal(decodeToken("not-a-jwt"), null);
  assert.equal(decodeToken("a.%%%.c"), null);
  assert.equal(decodeToken(jwt({ sub: "u", role: "owner", tid: "t", exp: 1 })), null);
  assert.equal(decodeToken(jwt({ sub: "", role: "booker", tid: "t", exp: 1 })), null);
  assert.equal(decodeToken(jwt({ sub: "u", role: "booker", tid: "t" })), null);
  assert.equal(decodeToken(jwt("just a string")), null);
});

test("isExpired allows the server's 30 s leeway", () => {
  const claims = { sub: "u", role: "booker" as const, tid: "t", exp: 1000 };
  assert.equal(isExpired(claims, 1_000_000), false);
  assert.equal(isExpired(claims, 1_029_999), false);
  assert.equal(isExpired(claims, 1_030_000), true);
});
