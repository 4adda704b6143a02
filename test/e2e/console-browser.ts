/**
 * Real Chromium for the console tests: Debian's package (or CHROMIUM_PATH) driven by
 * playwright-core; no browser is downloaded. Screenshots go to test-results/console/ (ignored by
 * git) so a person can look at each view after a run.
 */
import { mkdirSync, readFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { chromium, type Browser, type BrowserContext, type ConsoleMessage, type Page } from "playwright-core";
import { repoRoot } from "../helpers/in-process-daemon.js";

export const screenshotDir = join(repoRoot, "test-results", "console");
const executablePath = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const FLAGS = ["--headless", "--no-sandbox", "--disable-gpu", "--no-first-run", "--disable-background-networking", "--disable-component-update", "--disable-sync"];

/** Generous: the machine running the suite may be loaded; nothing here measures speed. */
export const UI_TIMEOUT_MS = 60_000;

export function launchChromium(): Promise<Browser> {
  return chromium.launch({ executablePath, args: FLAGS, headless: true });
}

export interface ConsolePage {
  context: BrowserContext;
  page: Page;
  /** Console errors and uncaught exceptions seen so far. */
  errors: string[];
  /** Every response to a /v1 call: [method, path, status]. */
  apiCalls: Array<{ method: string; url: string; status: number; authorization: string | null }>;
  screenshot(name: string): Promise<void>;
  close(): Promise<void>;
}

export async function openConsole(browser: Browser, url: string): Promise<ConsolePage> {
  const context = await browser.newContext({ viewport: { width: 1280, height: 860 } });
  context.setDefaultTimeout(UI_TIMEOUT_MS);
  const page = await context.newPage();
  const errors: string[] = [];
  const apiCalls: ConsolePage["apiCalls"] = [];
  page.on("console", (message: ConsoleMessage) => {
    if (message.type() !== "error") return;
    // A run without a diff is a 404 the page expects and says so; Chromium logs it all the same.
    if (/status of 404/.test(message.text()) && /\/v1\/runs\/[^/]+\/diff$/.test(message.location().url)) return;
    errors.push(`${message.text()} (${message.location().url})`);
  });
  page.on("pageerror", (error) => errors.push(`uncaught: ${error.message}`));
  page.on("response", (response) => {
    const request = response.request();
    const path = new URL(response.url()).pathname;
    if (path.startsWith("/v1")) apiCalls.push({ method: request.method(), url: response.url(), status: response.status(), authorization: request.headers().authorization ?? null });
  });
  await page.goto(url);
  return {
    context,
    page,
    errors,
    apiCalls,
    async screenshot(name) {
      mkdirSync(screenshotDir, { recursive: true });
      await page.screenshot({ path: join(screenshotDir, `${name}.png`), fullPage: true });
    },
    close: () => context.close(),
  };
}

const axeSource = readFileSync(createRequire(import.meta.url).resolve("axe-core/axe.min.js"), "utf8");

export interface AxeViolation {
  id: string;
  impact: string | null;
  help: string;
  nodes: string[];
}

/**
 * axe-core run inside the page (evaluated through the DevTools protocol, so the page's CSP,
 * which forbids inline scripts, stays as it is). Returns the serious and critical violations.
 */
export async function seriousViolations(page: Page): Promise<AxeViolation[]> {
  await page.evaluate(axeSource);
  const violations = (await page.evaluate(`axe.run(document, { resultTypes: ["violations"] }).then((r) => r.violations.map((v) => ({ id: v.id, impact: v.impact, help: v.help, nodes: v.nodes.map((n) => JSON.stringify(n.target)) })))`)) as AxeViolation[];
  return violations.filter((v) => v.impact === "serious" || v.impact === "critical");
}

/** Page expressions are strings: the tests type-check without the DOM library. */
export const setHash = (page: Page, hash: string) => page.evaluate(`location.hash = ${JSON.stringify(hash)}`);
export const pageValue = <T>(page: Page, expression: string) => page.evaluate(expression) as Promise<T>;

/** Press Tab until `selector` has the focus; fails when it is not reachable by keyboard. */
export async function tabTo(page: Page, selector: string, maxPresses = 80): Promise<void> {
  for (let i = 0; i < maxPresses; i++) {
    await page.keyboard.press("Tab");
    if (await page.evaluate(`document.activeElement?.matches(${JSON.stringify(selector)}) ?? false`)) return;
  }
  throw new Error(`${selector} is not reachable with Tab (${maxPresses} presses)`);
}
