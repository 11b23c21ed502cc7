/**
 * Starts the real `bedrud` binary once for all browser tests and stops it afterwards.
 *
 * Binary: env BEDRUD_BIN (relative paths resolve from frontend/), else
 * $CARGO_TARGET_DIR/debug/bedrud, else ../target/debug/bedrud. The fake LiveKit server
 * (`cargo build -p bedrud-tests --bin fake-livekit-server`): env FAKE_LIVEKIT_BIN, else
 * `fake-livekit-server` next to the bedrud binary. The server gets a fresh temporary data
 * directory (also its cwd, SQLite inside), a free port on 127.0.0.1 and the fake LiveKit as
 * its embedded media server (reached through bedrud's /livekit proxy; it answers the
 * RoomService API but has no media or signalling). The WebAuthn relying party is
 * `localhost` with the origin http://localhost:<port>, so passkey tests open the app there.
 * A superadmin is created with the CLI before start-up.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, isAbsolute, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { TestProject } from 'vitest/node';

export interface AdminAccount {
  email: string;
  name: string;
  password: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    /** http://127.0.0.1:<port> */
    baseUrl: string;
    /** The same server as http://localhost:<port>: the WebAuthn origin (RP id `localhost`). */
    localhostUrl: string;
    admin: AdminAccount;
  }
}

const FRONTEND = resolve(import.meta.dirname, '..');
const STARTUP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;
const LIVEKIT_READY_TIMEOUT_MS = 30_000;

function findBinary(): string {
  const candidates: string[] = [];
  const explicit = process.env.BEDRUD_BIN;
  if (explicit) {
    const path = isAbsolute(explicit) ? explicit : resolve(FRONTEND, explicit);
    if (!existsSync(path)) throw new Error(`BEDRUD_BIN=${explicit} does not exist (resolved to ${path})`);
    return path;
  }
  if (process.env.CARGO_TARGET_DIR) candidates.push(resolve(FRONTEND, process.env.CARGO_TARGET_DIR, 'debug/bedrud'));
  candidates.push(resolve(FRONTEND, '../target/debug/bedrud'));
  const found = candidates.find((c) => existsSync(c));
  if (!found) {
    throw new Error(
      `bedrud binary not found (tried ${candidates.join(', ')}). Build it with \`cargo build -p bedrud\` ` +
        'in the repository root, or point BEDRUD_BIN at it.',
    );
  }
  return found;
}

function findFakeLivekit(bedrud: string): string {
  const explicit = process.env.FAKE_LIVEKIT_BIN;
  const path = explicit ? (isAbsolute(explicit) ? explicit : resolve(FRONTEND, explicit)) : join(dirname(bedrud), 'fake-livekit-server');
  if (!existsSync(path)) {
    throw new Error(
      `fake LiveKit server not found at ${path}${explicit ? ` (FAKE_LIVEKIT_BIN=${explicit})` : ''}. Build it with ` +
        '`cargo build -p bedrud-tests --bin fake-livekit-server` (same target directory as bedrud), or point FAKE_LIVEKIT_BIN at it.',
    );
  }
  return path;
}

/** A TCP port that was free on 127.0.0.1 a moment ago. */
function freePort(): Promise<number> {
  return new Promise((resolvePort, reject) => {
    const srv = createServer();
    srv.once('error', reject);
    srv.listen(0, '127.0.0.1', () => {
      const addr = srv.address();
      const port = typeof addr === 'object' && addr ? addr.port : 0;
      srv.close(() => resolvePort(port));
    });
  });
}

/** The server's environment: inherited, minus any BEDRUD_* / RUST_LOG that could change it. */
function serverEnv(dataDir: string, ports: { http: number; livekit: number }, fakeLivekit: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('BEDRUD_') || k === 'RUST_LOG') continue;
    env[k] = v;
  }
  return {
    ...env,
    BEDRUD_SERVER__HOST: '127.0.0.1',
    BEDRUD_SERVER__PORT: String(ports.http),
    BEDRUD_SERVER__DATA_DIR: dataDir,
    BEDRUD_DATABASE__URL: `sqlite://${join(dataDir, 'bedrud.db')}`,
    BEDRUD_LIVEKIT__MODE: 'embedded',
    BEDRUD_LIVEKIT__BINARY: fakeLivekit,
    BEDRUD_LIVEKIT__PORT: String(ports.livekit),
    BEDRUD_AUTH__WEBAUTHN__RP_ID: 'localhost',
    BEDRUD_AUTH__WEBAUTHN__RP_ORIGINS: `http://localhost:${ports.http}`,
    // All tests come from 127.0.0.1: the per-IP limiters would throttle the suite.
    BEDRUD_RATE_LIMIT__AUTH_MAX_REQUESTS: '0',
    BEDRUD_RATE_LIMIT__GUEST_MAX_REQUESTS: '0',
    BEDRUD_RATE_LIMIT__API_MAX_REQUESTS: '0',
  };
}

function field(line: Record<string, unknown>, key: string): unknown {
  const fields = line.fields as Record<string, unknown> | undefined;
  return line[key] ?? fields?.[key];
}

function startServer(bin: string, dataDir: string, env: NodeJS.ProcessEnv, logPath: string) {
  const child = spawn(bin, ['--log-format', 'json'], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logPath, { flags: 'a' });
  const recent: string[] = [];
  const remember = (line: string) => {
    log.write(line + '\n');
    recent.push(line);
    if (recent.length > 200) recent.shift();
  };
  createInterface({ input: child.stderr! }).on('line', remember);

  const address = new Promise<string>((resolveAddr, reject) => {
    const fail = (why: string) =>
      reject(new Error(`bedrud did not start: ${why}\n--- server output (also in ${logPath}) ---\n${recent.join('\n')}`));
    const timer = setTimeout(() => fail(`no "listening on" line within ${STARTUP_TIMEOUT_MS / 1000} s`), STARTUP_TIMEOUT_MS);
    child.once('error', (err) => {
      clearTimeout(timer);
      fail(String(err));
    });
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      fail(`exited early (code ${code}, signal ${signal})`);
    });
    createInterface({ input: child.stdout! }).on('line', (line) => {
      remember(line);
      let json: Record<string, unknown>;
      try {
        json = JSON.parse(line);
      } catch {
        return;
      }
      const message = field(json, 'message');
      const addr = field(json, 'addr');
      if (typeof message === 'string' && message.includes('listening on') && typeof addr === 'string') {
        clearTimeout(timer);
        resolveAddr(`http://${addr}`);
      }
    });
  });
  return { child, address, log };
}

async function stopServer(child: ChildProcess): Promise<number | null> {
  if (child.exitCode !== null || child.signalCode !== null) return child.exitCode;
  const exited = new Promise<number | null>((r) => child.once('exit', (code) => r(code)));
  child.kill('SIGTERM');
  const timer = setTimeout(() => child.kill('SIGKILL'), STOP_TIMEOUT_MS);
  const code = await exited;
  clearTimeout(timer);
  return code;
}

/** Waits until /api/ready reports the embedded (fake) LiveKit as running. */
async function waitForLivekit(baseUrl: string): Promise<void> {
  const end = Date.now() + LIVEKIT_READY_TIMEOUT_MS;
  let last = '';
  while (Date.now() < end) {
    try {
      const res = await fetch(`${baseUrl}/api/ready`);
      const body = (await res.json()) as { livekit?: string };
      last = `${res.status} ${JSON.stringify(body)}`;
      if (body.livekit === 'running') return;
    } catch (err) {
      last = String(err);
    }
    await new Promise((r) => setTimeout(r, 200));
  }
  throw new Error(`the fake LiveKit did not become "running" within ${LIVEKIT_READY_TIMEOUT_MS / 1000} s (last /api/ready: ${last})`);
}

export default async function setup(project: TestProject) {
  const bin = findBinary();
  const fakeLivekit = findFakeLivekit(bin);
  const dataDir = mkdtempSync(join(tmpdir(), 'bedrud-e2e-'));
  const logPath = join(dataDir, 'server.log');

  const admin: AdminAccount = { email: 'e2e-admin@example.com', name: 'E2E Admin', password: 'admin-password-e2e-1' };
  const created = spawnSync(
    bin,
    ['user', 'create', '--email', admin.email, '--name', admin.name, '--password', admin.password, '--superadmin'],
    { cwd: dataDir, env: serverEnv(dataDir, { http: 0, livekit: 0 }, fakeLivekit), encoding: 'utf8', timeout: 60_000 },
  );
  if (created.status !== 0) {
    throw new Error(`\`bedrud user create\` failed (${created.status}):\n${created.stdout}\n${created.stderr}`);
  }

  // The WebAuthn origin names the port, so it is chosen here (port 0 would be unknown until
  // start-up); should another process take it meanwhile, try again with other ports.
  let started: ReturnType<typeof startServer> | undefined;
  let baseUrl = '';
  let port = 0;
  const killOnExit = () => started?.child.kill('SIGKILL');
  // Never leave the server behind, even when the runner dies without its teardown.
  process.once('exit', killOnExit);
  for (let attempt = 1; ; attempt++) {
    port = await freePort();
    let livekitPort = await freePort();
    while (livekitPort === port) livekitPort = await freePort();
    started = startServer(bin, dataDir, serverEnv(dataDir, { http: port, livekit: livekitPort }, fakeLivekit), logPath);
    try {
      baseUrl = await started.address;
      await waitForLivekit(baseUrl);
      break;
    } catch (err) {
      await stopServer(started.child);
      started.log.end();
      if (attempt < 3 && /cannot listen|address already in use|addrinuse/i.test(String(err))) continue;
      process.off('exit', killOnExit);
      throw err;
    }
  }
  const { child, log } = started;
  const localhostUrl = `http://localhost:${port}`;
  console.log(`[e2e] ${bin} listening at ${baseUrl} = ${localhostUrl} (data ${dataDir}; fake LiveKit ${fakeLivekit})`);
  project.provide('baseUrl', baseUrl);
  project.provide('localhostUrl', localhostUrl);
  project.provide('admin', admin);

  return async () => {
    const code = await stopServer(child);
    process.off('exit', killOnExit);
    log.end();
    if (code !== 0) console.warn(`[e2e] bedrud exited with code ${code} after SIGTERM; log: ${logPath}`);
    if (code !== 0 || process.env.BEDRUD_E2E_KEEP === '1') console.log(`[e2e] kept ${dataDir}`);
    else rmSync(dataDir, { recursive: true, force: true });
  };
}
