// Sign-in by the token link: the board, who is signed in, the live indicator, the fragment gone
// from the address bar and the token kept only in sessionStorage; no token and a bad token.
import assert from "node:assert/strict";

import { signJwt, validClaims } from "../../api/tests/e2e/lib/tenant.ts";
import { eventually, textMatches, waitLive } from "./lib/board.ts";
import { browserTest, newPage, openAs, useHarness } from "./lib/harness.ts";
import { TZ } from "./lib/time.ts";

const h = useHarness("signin");

browserTest(h, "the token link shows the live board and keeps the token out of the URL", async () => {
  const jwt = h.f.ctx.tokens.booker;
  const page = await newPage(h);
  // The token travels only in the Authorization header and the socket's auth, never in a URL.
  const leaks: string[] = [];
  page.on("request", (r) => {
    if (r.url().includes(jwt)) leaks.push(r.url().replace(jwt, "<token>"));
    const auth = r.headers()["authorization"];
    if (auth !== undefined && new URL(r.url()).origin !== h.url) leaks.push(`Authorization sent to ${r.url()}`);
  });
  await page.goto(`${h.url}/#token=${jwt}`);
  await page.getByTestId("board").waitFor();
  await waitLive(page);
  await textMatches(page.getByTestId("whoami"), new RegExp(`${h.f.ctx.subs.booker.replace(".", "\\.")}\\s*·\\s*booker`));
  assert.equal((await page.getByTestId("connection").getAttribute("role")), "status");
  assert.equal(new URL(page.url()).hash, "", `the fragment is still in the address bar: ${page.url()}`);
  assert.ok(!page.url().includes(jwt), "the token is in the address bar");
  assert.equal(await page.evaluate(() => sessionStorage.getItem("ptool.token")), jwt);
  assert.equal(await page.evaluate(() => document.documentElement.lang), "en");
  await textMatches(page.getByTestId("timezone"), new RegExp(`Times in ${TZ}`));
  const legend = await page.getByTestId("legend").innerText();
  for (const word of ["Hold", "Pencil", "Confirmed", "Unavailable"]) assert.match(legend, new RegExp(word), `legend: ${legend}`);
  assert.equal(await page.getByLabel("Show ended bookings").isChecked(), false, "ended bookings are hidden by default");
  for (const name of ["Previous week", "Next week", "Today"]) {
    assert.ok((await page.getByRole("button", { name }).count()) > 0, `no button named ${name}`);
  }
  // A reload stays signed in (sessionStorage), still without the token in the address bar.
  await page.reload();
  await page.getByTestId("board").waitFor();
  await waitLive(page);
  assert.equal(new URL(page.url()).hash, "");
  assert.deepEqual(leaks, [], "the token appeared in a request URL");
  const logs = (h.logs.get(page) ?? []).join("\n");
  assert.ok(!logs.includes(jwt), "the page logged the token");
  // Sign out clears the token and shows the sign-in screen.
  await page.getByRole("button", { name: "Sign out" }).click();
  await page.getByTestId("signin").waitFor();
  assert.equal(await page.evaluate(() => sessionStorage.getItem("ptool.token")), null);
});

browserTest(h, "without a token the sign-in screen explains itself and a pasted token signs in", async () => {
  const page = await newPage(h);
  await page.goto(h.url + "/");
  const signin = page.getByTestId("signin");
  await signin.waitFor();
  assert.match(await signin.innerText(), /scripts\/run/, "the sign-in screen should point at the link scripts/run prints");
  assert.equal(await page.getByTestId("board").count(), 0, "no board without a token");
  await page.getByLabel("Access token").fill(h.f.ctx.tokens.viewer);
  await page.getByRole("button", { name: "Sign in" }).click();
  await page.getByTestId("board").waitFor();
  await waitLive(page);
  await textMatches(page.getByTestId("whoami"), /·\s*viewer/);
  assert.equal(await page.evaluate(() => sessionStorage.getItem("ptool.token")), h.f.ctx.tokens.viewer);
});

for (const [what, bad] of [
  ["wrongly signed", () => signJwt({ alg: "HS256", typ: "JWT" }, validClaims("00000000-0000-0000-0000-000000000000"), "not-the-secret")],
  ["expired", () => signJwt({ alg: "HS256", typ: "JWT" }, { ...validClaims("00000000-0000-0000-0000-000000000000"), iat: 1_600_000_000, exp: 1_600_000_060 })],
  ["not a JWT at all", () => "garbage"],
] as const) {
  browserTest(h, `a bad token (${what}) shows the sign-in screen or an error in plain words`, async () => {
    const page = await newPage(h);
    await page.goto(`${h.url}/#token=${bad()}`);
    await eventually(
      "the sign-in screen or a plain-words error",
      async () => {
        const signin = await page.getByTestId("signin").isVisible();
        const alerts = await page.getByRole("alert").allInnerTexts();
        const plain = alerts.some((t) => t.trim().length > 15 && !/^[a-z_]+$/.test(t.trim()));
        assert.ok(signin || plain, `neither the sign-in screen nor a plain-words alert (alerts: ${JSON.stringify(alerts)})`);
      },
      15_000,
    );
    assert.notEqual(await page.getByTestId("connection").getAttribute("data-state", { timeout: 1_000 }).catch(() => null), "live", "a bad token must not be live");
    assert.equal(new URL(page.url()).hash, "", "the bad token stays in the address bar");
  });
}
