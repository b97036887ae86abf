import { Client, Connection } from '@temporalio/client';

/**
 * A client like `client` (same address, TLS, metadata, namespace and data converter) on a channel
 * of its own without the SDK's retry interceptor, for callers that bound or retry their calls
 * themselves. On the SDK's default channel an unreachable server's calls are retried up to 10
 * times over about 20 s, in timers nothing can cancel: a call given up on (a probe's timeout, an
 * aborted start) goes on retrying, and closing the connection while one of those timers waits
 * throws "Channel has been shut down" from it, an uncaught exception. `close` closes the channel.
 * A client whose connection is not a `Connection` (a test double) is returned as it is.
 */
export function singleAttemptClient(client: Client): { client: Client; close(): Promise<void> } {
  const shared = client.connection;
  if (!(shared instanceof Connection)) return { client, close: async () => {} };
  const { interceptors: _retrying, ...options } = shared.options;
  const connection = Connection.lazy({ ...options, interceptors: [] });
  const { namespace, dataConverter, identity } = client.options;
  return {
    client: new Client({ connection, namespace, dataConverter, identity }),
    close: () => connection.close(),
  };
}
