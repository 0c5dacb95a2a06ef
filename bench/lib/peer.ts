/**
 * A long-running peer process (Debian's PyTorch through /usr/bin/python3) answering one
 * JSON request per line, so that our runs and the peer's can be interleaved round by
 * round without paying Python's start-up each time.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export interface PeerOptions {
  /** The interpreter (default: the system /usr/bin/python3, which has Debian's PyTorch). */
  python?: string;
  /** Arguments after the script's thread count. */
  args?: readonly string[];
}

export class PythonPeer {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly pending: ((line: string) => void)[] = [];
  private stderr = '';

  constructor(script: string, threads: number, { python = '/usr/bin/python3', args = [] }: PeerOptions = {}) {
    this.proc = spawn(python, [script, String(threads), ...args], {
      env: { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) },
    });
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.proc.stdout }).on('line', (line) => this.pending.shift()?.(line));
    const failPending = (why: string) => {
      for (const reject of this.pending.splice(0)) reject(JSON.stringify({ error: why }));
    };
    this.proc.on('exit', (code) => failPending(`peer exited with ${code}: ${this.stderr}`));
    // A missing interpreter: without this listener the spawn failure would throw out of the event loop.
    this.proc.on('error', (err) => failPending(`peer ${python} failed to start: ${err.message}`));
    // Writing to a peer that is gone fails on stdin too; the handlers above answer for it.
    this.proc.stdin.on('error', () => undefined);
  }

  /** Sends one request and resolves with the peer's JSON answer. */
  request<T>(req: object): Promise<T> {
    return new Promise((resolve, reject) => {
      this.pending.push((line) => {
        const msg = JSON.parse(line) as T & { error?: string };
        if (msg.error) reject(new Error(`peer: ${msg.error}`));
        else resolve(msg);
      });
      this.proc.stdin.write(`${JSON.stringify(req)}\n`);
    });
  }

  close(): void {
    this.proc.stdin.end();
  }
}
