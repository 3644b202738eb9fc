// A real Veza server for a test: the binary `cargo test` built (or $VEZA_BIN), on a
// temporary data directory and a free loopback port.

import { spawn } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const REPO = resolve(fileURLToPath(import.meta.url), '../../../..');
export const PASSWORD = 'a long password';

function binary() {
  const path = process.env.VEZA_BIN || join(REPO, 'target', 'debug', 'veza');
  if (!existsSync(path)) throw new Error(`no veza binary at ${path}: run \`cargo build\` or set VEZA_BIN`);
  return path;
}

function freePort() {
  return new Promise((done) => {
    const probe = createServer();
    probe.listen(0, '127.0.0.1', () => {
      const { port } = probe.address();
      probe.close(() => done(port));
    });
  });
}

const sleep = (ms) => new Promise((r) => setTimeout(r, ms));

export class Server {
  static async start(env = {}) {
    const server = new Server();
    server.dir = mkdtempSync(join(tmpdir(), 'veza-js-'));
    server.env = env;
    server.port = await freePort();
    await server.launch();
    return server;
  }

  get url() {
    return `http://127.0.0.1:${this.port}`;
  }

  async launch() {
    this.child = spawn(binary(), [], {
      cwd: this.dir,
      stdio: 'ignore',
      env: {
        ...process.env,
        VEZA_PORT: String(this.port),
        VEZA_LOG_LEVEL: 'critical',
        VEZA_RATE_LIMIT__REQUESTS_PER_HOUR: '1000000',
        ...this.env,
      },
    });
    const exited = new Promise((r) => this.child.once('exit', r));
    this.exited = exited;
    for (let i = 0; i < 600; i += 1) {
      try {
        if ((await fetch(`${this.url}/health`)).ok) return;
      } catch {
        // not listening yet
      }
      await sleep(50);
    }
    throw new Error('veza did not become healthy');
  }

  async stop() {
    if (this.child && this.child.exitCode === null) {
      this.child.kill('SIGTERM');
      await this.exited;
    }
  }

  async restart() {
    await this.stop();
    await this.launch();
  }

  async dispose() {
    await this.stop();
    rmSync(this.dir, { recursive: true, force: true });
  }

  async register(username) {
    const response = await fetch(`${this.url}/api/v1/auth/register`, {
      method: 'POST',
      headers: { 'Content-Type': 'application/json' },
      body: JSON.stringify({ username, email: `${username}@example.com`, password: PASSWORD }),
    });
    if (response.status !== 201) throw new Error(await response.text());
    return (await response.json()).data;
  }
}
