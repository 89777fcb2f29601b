/**
 * A TCP proxy on 127.0.0.1 in front of a real database, that a test can stop (refusing connections and
 * cutting the open ones, as a crashed or restarting database would) and start again on the same port.
 */
import { once } from 'node:events';
import { createServer, connect, type Server, type Socket } from 'node:net';
import type { AddressInfo } from 'node:net';

export interface TcpProxy {
  port: number;
  /** Refuses new connections and cuts the open ones. */
  stop(): Promise<void>;
  /** Accepts connections again, on the same port. */
  start(): Promise<void>;
  /** Cuts every open connection (a reset, as a network blip does) and goes on accepting new ones. */
  cut(): void;
  /** Stops forwarding bytes, both ways and on new connections, without closing anything: a paused database. */
  pause(): void;
  /** Forwards again what was held and what comes next. */
  resume(): void;
  close(): Promise<void>;
}

export async function createTcpProxy(targetPort: number, targetHost = '127.0.0.1', options: { started?: boolean } = {}): Promise<TcpProxy> {
  const sockets = new Set<Socket>();
  const pairs = new Set<[Socket, Socket]>();
  let paused = false;
  const connectPair = (client: Socket, upstream: Socket) => {
    client.pipe(upstream);
    upstream.pipe(client);
  };
  const holdPair = (client: Socket, upstream: Socket) => {
    client.unpipe(upstream);
    upstream.unpipe(client);
    client.pause();
    upstream.pause();
  };
  let server: Server | undefined;
  let port = 0;

  const listen = async () => {
    server = createServer((client) => {
      const upstream = connect(targetPort, targetHost);
      sockets.add(client).add(upstream);
      const drop = () => { client.destroy(); upstream.destroy(); sockets.delete(client); sockets.delete(upstream); };
      client.on('error', drop).on('close', drop);
      upstream.on('error', drop).on('close', drop);
      const pair: [Socket, Socket] = [client, upstream];
      pairs.add(pair);
      client.once('close', () => pairs.delete(pair));
      if (paused) holdPair(client, upstream);
      else connectPair(client, upstream);
    });
    server.listen(port, '127.0.0.1');
    await once(server, 'listening');
    port = (server.address() as AddressInfo).port;
  };
  const shut = async () => {
    if (!server) return;
    const s = server;
    server = undefined;
    for (const socket of sockets) socket.destroy();
    sockets.clear();
    await new Promise<void>((resolve) => s.close(() => resolve()));
  };

  await listen();
  if (options.started === false) await shut();
  return {
    get port() { return port; },
    stop: shut,
    pause() {
      paused = true;
      for (const [client, upstream] of pairs) holdPair(client, upstream);
    },
    resume() {
      paused = false;
      for (const [client, upstream] of pairs) connectPair(client, upstream);
    },
    start: listen,
    cut() {
      for (const socket of sockets) socket.destroy();
      sockets.clear();
    },
    close: shut,
  };
}
