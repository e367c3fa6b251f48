/**
 * `fetch` whose response bodies stop with an error past a byte limit: the SDK reads an HTTP
 * server's JSON and event streams to the end, so without it a server could make the extension
 * hold as much as it cares to send.
 */
const NULL_BODY_STATUSES = new Set([101, 204, 205, 304]);

export function boundedFetch(maxBytes: number, base: typeof fetch = fetch): typeof fetch {
  return async (input, init) => {
    const response = await base(input, init);
    if (!response.body || NULL_BODY_STATUSES.has(response.status)) return response;
    let seen = 0;
    const limited = response.body.pipeThrough(
      new TransformStream<Uint8Array, Uint8Array>({
        transform(chunk, controller) {
          seen += chunk.byteLength;
          if (seen > maxBytes) controller.error(new Error(`the server sent more than ${maxBytes} bytes in one response`));
          else controller.enqueue(chunk);
        },
      }),
    );
    return new Response(limited, { status: response.status, statusText: response.statusText, headers: response.headers });
  };
}
