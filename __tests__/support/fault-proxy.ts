/**
 * Test support: an HTTP proxy in front of the AWS emulator that can hold back one response. The request is
 * forwarded and carried out, but its response is withheld: the caller (terraform) waits, holding its state
 * lock, for as long as the test wants (`release()`), or never learns that the call succeeded (kill it
 * meanwhile: the exact situation of a run killed between an API call and writing its state). Listens on
 * 127.0.0.1 with a free port; `close()` always stops it.
 */
import { IncomingMessage, ServerResponse, createServer, request } from "node:http";
import { AddressInfo } from "node:net";

export interface FaultProxy {
  /** `http://127.0.0.1:<port>`: use it as the endpoint of the service to intercept. */
  readonly endpoint: string;
  /** Resolves once the matching request has been carried out upstream and its response held back. */
  readonly held: Promise<void>;
  /** Sends the held response after all (the caller just sees a slow answer). */
  release(): void;
  close(): Promise<void>;
}

/**
 * Forwards everything to `upstream`; the first request whose body matches `hold` is carried out there,
 * but its response is never sent.
 */
export async function startFaultProxy(upstream: string, hold: (body: string) => boolean): Promise<FaultProxy> {
  const target = new URL(upstream);
  let armed = true;
  let markHeld: () => void = () => undefined;
  const held = new Promise<void>((resolve) => (markHeld = resolve));
  const open = new Set<ServerResponse>();
  let send: (() => void) | undefined;

  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on("data", (c: Buffer) => chunks.push(c));
    req.on("end", () => {
      const body = Buffer.concat(chunks);
      const swallow = armed && hold(body.toString());
      if (swallow) armed = false;
      const forward = request(
        { hostname: target.hostname, port: target.port, method: req.method, path: req.url, headers: { ...req.headers, host: target.host } },
        (upstreamRes) => {
          const data: Buffer[] = [];
          upstreamRes.on("data", (c: Buffer) => data.push(c));
          upstreamRes.on("end", () => {
            const answer = () => {
              res.writeHead(upstreamRes.statusCode ?? 502, upstreamRes.headers);
              res.end(Buffer.concat(data));
            };
            if (swallow) {
              open.add(res); // answered only by release(); ended by close()
              send = () => {
                open.delete(res);
                answer();
              };
              markHeld();
              return;
            }
            answer();
          });
        },
      );
      forward.on("error", (e) => {
        res.writeHead(502);
        res.end(String(e));
      });
      forward.end(body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    endpoint: `http://127.0.0.1:${port}`,
    held,
    release: () => {
      send?.();
      send = undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        open.forEach((r) => r.destroy());
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
