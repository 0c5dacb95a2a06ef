/**
 * A long-running peer process (Debian's PyTorch through /usr/bin/python3) answering one
 * JSON request per line, so that our runs and the peer's can be interleaved round by
 * round without paying Python's start-up each time.
 */
import { type ChildProcessWithoutNullStreams, spawn } from 'node:child_process';
import { createInterface } from 'node:readline';

export class PythonPeer {
  private readonly proc: ChildProcessWithoutNullStreams;
  private readonly pending: ((line: string) => void)[] = [];
  private stderr = '';

  constructor(script: string, threads: number) {
    this.proc = spawn('/usr/bin/python3', [script, String(threads)], {
      env: { ...process.env, OMP_NUM_THREADS: String(threads), MKL_NUM_THREADS: String(threads), OPENBLAS_NUM_THREADS: String(threads) },
    });
    this.proc.stderr.on('data', (d: Buffer) => (this.stderr += d.toString()));
    createInterface({ input: this.proc.stdout }).on('line', (line) => this.pending.shift()?.(line));
    this.proc.on('exit', (code) => {
      for (const reject of this.pending.splice(0)) reject(JSON.stringify({ error: `peer exited with ${code}: ${this.stderr}` }));
    });
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
