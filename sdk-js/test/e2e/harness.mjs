// End-to-end harness: a real anshin server, a small node server that serves the test page and
// the built SDK and proxies /v1/* to anshin (one origin, as WebAuthn needs), headless Debian
// Chromium through playwright-core, and a CDP virtual authenticator.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, existsSync } from 'node:fs';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, resolve, normalize } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const here = dirname(fileURLToPath(import.meta.url));
const sdkRoot = resolve(here, '..', '..');
const dist = join(sdkRoot, 'dist');
export const API_KEY = 'e2e-test-api-key-0123456789';
/** The app origin of an Android app whose signing certificate has SHA-256 FA:C6:17:…:3B:9C. */
export const ANDROID_ORIGIN = 'android:apk-key-hash:-sYXRdwJA3hvue3mKpYrOZ9zSPC7b4mbgzJmdZEDO5w';

function freePort() {
  return new Promise((res, rej) => {
    const s = net.createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => {
      const { port } = s.address();
      s.close(() => res(port));
    });
  });
}

async function waitReady(url, child, logs) {
  for (let i = 0; i < 300; i++) {
    if (child.exitCode !== null) throw new Error(`anshin exited (${child.exitCode}):\n${logs.join('')}`);
    try {
      const r = await fetch(url);
      if (r.ok) return;
    } catch {
      /* not yet */
    }
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`anshin did not become ready:\n${logs.join('')}`);
}

const PAGE = `<!doctype html>
<html><head><meta charset="utf-8"><title>anshin sdk e2e</title></head>
<body>
<form><input id="username" name="username" autocomplete="username webauthn"></form>
<script type="module">
import * as sdk from '/sdk/index.js';
window.sdk = sdk;
window.anshin = new sdk.Anshin();
window.ready = true;
</script>
</body></html>`;

/** The test page's own "backend": a sensitive action that needs `phr` within 300 s (RFC 9470). */
async function backendSensitive(req, res, anshinBase) {
  const auth = req.headers.authorization || '';
  const token = auth.startsWith('Bearer ') ? auth.slice(7) : '';
  const r = await fetch(`${anshinBase}/v1/sessions/introspect`, {
    method: 'POST',
    headers: { authorization: `Bearer ${API_KEY}`, 'content-type': 'application/json' },
    body: JSON.stringify({ token, required_acr: 'phr', max_age: 300 }),
  });
  const intro = await r.json();
  if (!intro.active) {
    res.writeHead(401, { 'www-authenticate': 'Bearer error="invalid_token"' }).end();
  } else if (!intro.satisfied) {
    res.writeHead(401, { 'www-authenticate': intro.www_authenticate, 'content-type': 'application/json' });
    res.end(JSON.stringify({ error: 'insufficient_user_authentication' }));
  } else {
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify({ ok: true, acr: intro.acr }));
  }
}

const CHROMIUM_ARGS = [
  '--headless',
  '--no-sandbox',
  '--disable-gpu',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

function launchBrowser() {
  return chromium.launch({ executablePath: process.env.CHROMIUM || '/usr/bin/chromium', headless: true, args: CHROMIUM_ARGS });
}

/** A virtual authenticator in `page`: a platform authenticator with user verification, like a phone or a laptop. */
export async function addAuthenticator(context, page, authOptions = {}) {
  const cdp = await context.newCDPSession(page);
  await cdp.send('WebAuthn.enable', { enableUI: false });
  const { authenticatorId } = await cdp.send('WebAuthn.addVirtualAuthenticator', {
    options: {
      protocol: 'ctap2',
      ctap2Version: 'ctap2_1',
      transport: 'internal',
      hasResidentKey: true,
      hasUserVerification: true,
      isUserVerified: true,
      automaticPresenceSimulation: true,
      ...authOptions,
    },
  });
  return { cdp, authenticatorId };
}

/**
 * anshin on its own, as a new user runs it: its demo page at `/` and dashboard at `/admin`,
 * origin `http://localhost:<port>`, a fresh SQLite file, one API key.
 */
export async function startServer() {
  const bin = process.env.ANSHIN_BIN || resolve(sdkRoot, '..', 'target', 'debug', 'anshin');
  if (!existsSync(bin)) throw new Error(`no anshin binary at ${bin}: run \`cargo build --bin anshin\` first`);
  const tmp = mkdtempSync(join(tmpdir(), 'anshin-demo-e2e-'));
  const port = await freePort();
  const url = `http://localhost:${port}`;
  const logs = [];
  const child = spawn(bin, [], {
    cwd: tmp,
    // As `cargo run --bin anshin` from a fresh directory, on a free port: the origin follows
    // the port, the database is ./anshin.db. The API key is for the tests' own checks.
    env: {
      PATH: process.env.PATH,
      ANSHIN_LISTEN: `127.0.0.1:${port}`,
      ANSHIN_API_KEYS: API_KEY,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => logs.push(String(d)));
  child.stderr.on('data', (d) => logs.push(String(d)));
  await waitReady(`${url}/readyz`, child, logs);
  const browser = await launchBrowser();
  return {
    url,
    dbPath: join(tmp, 'anshin.db'),
    logs,
    browser,
    /**
     * A fresh browser context on `path` with a virtual authenticator (unless `authenticator`
     * is false). Console errors, page errors and CSP violations are collected in `problems`.
     */
    async open(path = '/', { authenticator = {}, viewport = { width: 1100, height: 900 } } = {}) {
      const context = await browser.newContext({ viewport, deviceScaleFactor: 1 });
      const page = await context.newPage();
      const problems = [];
      page.on('console', (m) => {
        // A 4xx answer is part of some flows (a wrong SMS code, an RFC 9470 challenge);
        // the browser logs each as a failed resource. Anything else is a problem.
        if (m.type() === 'error' && !/Failed to load resource: the server responded with a status of 4\d\d/.test(m.text())) {
          problems.push(`console: ${m.text()}`);
        }
      });
      page.on('pageerror', (e) => problems.push(`page error: ${e.message}`));
      const auth = authenticator === false ? {} : await addAuthenticator(context, page, authenticator);
      await page.goto(`${url}${path}`);
      await page.waitForSelector('body[data-ready=true]');
      return { context, page, problems, ...auth };
    },
    async stop() {
      await browser.close().catch(() => {});
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

export async function startStack({ browser: wantBrowser = true } = {}) {
  const bin = process.env.ANSHIN_BIN || resolve(sdkRoot, '..', 'target', 'debug', 'anshin');
  if (!existsSync(bin)) throw new Error(`no anshin binary at ${bin}: run \`cargo build --bin anshin\` first`);
  const tmp = mkdtempSync(join(tmpdir(), 'anshin-sdk-e2e-'));
  const [apiPort, webPort] = [await freePort(), await freePort()];
  const origin = `http://localhost:${webPort}`;
  const anshinBase = `http://127.0.0.1:${apiPort}`;
  const logs = [];
  const child = spawn(bin, [], {
    cwd: tmp,
    env: {
      PATH: process.env.PATH,
      ANSHIN_LISTEN: `127.0.0.1:${apiPort}`,
      ANSHIN_ORIGINS: `${origin},${ANDROID_ORIGIN}`,
      ANSHIN_DATABASE_URL: `sqlite://${join(tmp, 'anshin.db')}`,
      ANSHIN_API_KEYS: API_KEY,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  child.stdout.on('data', (d) => logs.push(String(d)));
  child.stderr.on('data', (d) => logs.push(String(d)));
  await waitReady(`${anshinBase}/readyz`, child, logs);

  const web = http.createServer(async (req, res) => {
    try {
      const url = new URL(req.url, origin);
      if (url.pathname === '/') {
        res.writeHead(200, { 'content-type': 'text/html; charset=utf-8' }).end(PAGE);
      } else if (url.pathname.startsWith('/sdk/')) {
        const file = normalize(join(dist, url.pathname.slice(5)));
        if (!file.startsWith(dist) || !existsSync(file)) return res.writeHead(404).end();
        res.writeHead(200, { 'content-type': 'text/javascript' }).end(readFileSync(file));
      } else if (url.pathname === '/backend/sensitive') {
        await backendSensitive(req, res, anshinBase);
      } else if (url.pathname.startsWith('/v1/')) {
        // Proxy to anshin, keeping method, headers and body.
        const up = http.request(
          { host: '127.0.0.1', port: apiPort, path: req.url, method: req.method, headers: { ...req.headers, host: `127.0.0.1:${apiPort}` } },
          (ur) => {
            res.writeHead(ur.statusCode, ur.headers);
            ur.pipe(res);
          },
        );
        up.on('error', (e) => res.writeHead(502).end(String(e)));
        req.pipe(up);
      } else {
        res.writeHead(404).end();
      }
    } catch (e) {
      res.writeHead(500).end(String(e));
    }
  });
  await new Promise((r) => web.listen(webPort, '127.0.0.1', r));

  const browser = !wantBrowser ? null : await launchBrowser();

  return {
    origin,
    anshinBase,
    dbPath: join(tmp, 'anshin.db'),
    logs,
    browser,
    /** A fresh context (fresh profile state) with a page on the test page and a virtual authenticator. */
    async newPage(authOptions = {}) {
      const context = await browser.newContext();
      const page = await context.newPage();
      const { cdp, authenticatorId } = await addAuthenticator(context, page, authOptions);
      await page.goto(`${origin}/`);
      await page.waitForFunction(() => window.ready === true);
      return { context, page, cdp, authenticatorId };
    },
    async stop() {
      await browser?.close().catch(() => {});
      await new Promise((r) => web.close(r));
      child.kill('SIGTERM');
      await new Promise((r) => (child.exitCode !== null ? r() : child.once('exit', r)));
      rmSync(tmp, { recursive: true, force: true });
    },
  };
}

/** Runs `fn(arg)` in the page; a thrown error comes back as `{error: {name, code, message}}`. */
export async function inPage(page, fn, arg) {
  return page.evaluate(
    async ([src, a]) => {
      const f = (0, eval)(`(${src})`);
      try {
        return { value: await f(a) };
      } catch (e) {
        return { error: { name: e && e.name, code: e && e.code, status: e && e.status, message: String(e && e.message), causeName: e && e.cause && e.cause.name } };
      }
    },
    [fn.toString(), arg],
  );
}
