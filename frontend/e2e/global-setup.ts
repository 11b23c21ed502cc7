/**
 * Starts the real `bedrud` binary once for all browser tests and stops it afterwards.
 *
 * Binary: env BEDRUD_BIN (relative paths resolve from frontend/), else
 * $CARGO_TARGET_DIR/debug/bedrud, else ../target/debug/bedrud. The server gets a fresh
 * temporary data directory (also its cwd, SQLite inside), port 0 and LiveKit disabled;
 * its address comes from the JSON log line "listening on …". A superadmin is created
 * with the CLI before start-up.
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { isAbsolute, join, resolve } from 'node:path';
import { createInterface } from 'node:readline';
import type { TestProject } from 'vitest/node';

export interface AdminAccount {
  email: string;
  name: string;
  password: string;
}

declare module 'vitest' {
  export interface ProvidedContext {
    baseUrl: string;
    admin: AdminAccount;
  }
}

const FRONTEND = resolve(import.meta.dirname, '..');
const STARTUP_TIMEOUT_MS = 60_000;
const STOP_TIMEOUT_MS = 15_000;

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

/** The server's environment: inherited, minus any BEDRUD_* / RUST_LOG that could change it. */
function serverEnv(dataDir: string): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [k, v] of Object.entries(process.env)) {
    if (k.startsWith('BEDRUD_') || k === 'RUST_LOG') continue;
    env[k] = v;
  }
  return {
    ...env,
    BEDRUD_SERVER__HOST: '127.0.0.1',
    BEDRUD_SERVER__PORT: '0',
    BEDRUD_SERVER__DATA_DIR: dataDir,
    BEDRUD_DATABASE__URL: `sqlite://${join(dataDir, 'bedrud.db')}`,
    BEDRUD_LIVEKIT__MODE: 'disabled',
    BEDRUD_RATE_LIMIT__AUTH_MAX_REQUESTS: '0',
  };
}

function field(line: Record<string, unknown>, key: string): unknown {
  const fields = line.fields as Record<string, unknown> | undefined;
  return line[key] ?? fields?.[key];
}

function startServer(bin: string, dataDir: string, env: NodeJS.ProcessEnv, logPath: string) {
  const child = spawn(bin, ['--log-format', 'json'], { cwd: dataDir, env, stdio: ['ignore', 'pipe', 'pipe'] });
  const log = createWriteStream(logPath);
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

export default async function setup(project: TestProject) {
  const bin = findBinary();
  const dataDir = mkdtempSync(join(tmpdir(), 'bedrud-e2e-'));
  const env = serverEnv(dataDir);
  const logPath = join(dataDir, 'server.log');

  const admin: AdminAccount = { email: 'e2e-admin@example.com', name: 'E2E Admin', password: 'admin-password-e2e-1' };
  const created = spawnSync(
    bin,
    ['user', 'create', '--email', admin.email, '--name', admin.name, '--password', admin.password, '--superadmin'],
    { cwd: dataDir, env, encoding: 'utf8', timeout: 60_000 },
  );
  if (created.status !== 0) {
    throw new Error(`\`bedrud user create\` failed (${created.status}):\n${created.stdout}\n${created.stderr}`);
  }

  const { child, address, log } = startServer(bin, dataDir, env, logPath);
  // Never leave the server behind, even when the runner dies without its teardown.
  const killOnExit = () => child.kill('SIGKILL');
  process.once('exit', killOnExit);
  let baseUrl: string;
  try {
    baseUrl = await address;
  } catch (err) {
    await stopServer(child);
    process.off('exit', killOnExit);
    throw err;
  }
  console.log(`[e2e] ${bin} listening at ${baseUrl} (data ${dataDir})`);
  project.provide('baseUrl', baseUrl);
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
