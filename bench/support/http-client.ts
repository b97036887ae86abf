import http from 'node:http';
import { performance } from 'node:perf_hooks';

export interface HttpResult {
  status: number;
  body: string;
  /** From the call to the last byte of the answer. */
  ms: number;
}

/**
 * A keep-alive HTTP client for load: connections are reused as a webhook sender (Twilio) would,
 * so the figures measure the server, not TCP handshakes. node:http's Agent is the stock way.
 */
export class HttpClient {
  readonly agent: http.Agent;
  readonly #url: URL;

  constructor(origin: string, options: { maxSockets?: number } = {}) {
    this.#url = new URL(origin);
    this.agent = new http.Agent({ keepAlive: true, maxSockets: options.maxSockets ?? 256 });
  }

  request(
    method: string,
    path: string,
    body: string | Buffer | undefined,
    headers: Record<string, string | string[]> = {},
  ): Promise<HttpResult> {
    const started = performance.now();
    return new Promise((resolve, reject) => {
      // A server may answer (413) and close while the body is still being written: the answer counts.
      let answered: { status: number; chunks: Buffer[] } | undefined;
      const fail = (error: Error) => {
        if (!answered) return reject(error);
        resolve({
          status: answered.status,
          body: Buffer.concat(answered.chunks).toString('utf8'),
          ms: performance.now() - started,
        });
      };
      const req = http.request(
        {
          host: this.#url.hostname,
          port: this.#url.port,
          method,
          path,
          agent: this.agent,
          headers: body === undefined ? headers : { 'content-length': Buffer.byteLength(body), ...headers },
        },
        (res) => {
          const chunks: Buffer[] = [];
          answered = { status: res.statusCode ?? 0, chunks };
          res.on('data', (c: Buffer) => chunks.push(c));
          res.on('end', () =>
            resolve({
              status: res.statusCode ?? 0,
              body: Buffer.concat(chunks).toString('utf8'),
              ms: performance.now() - started,
            }),
          );
          res.on('error', fail);
        },
      );
      req.on('error', fail);
      req.end(body);
    });
  }

  post(path: string, body: string, headers: Record<string, string> = {}): Promise<HttpResult> {
    return this.request('POST', path, body, headers);
  }

  close(): void {
    this.agent.destroy();
  }
}
