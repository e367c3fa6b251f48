import * as assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { boundedFetch } from '../../../../src/agent/mcp/boundedFetch';

describe('bounded fetch for MCP over HTTP', () => {
  let server: Server;
  let url: string;
  before(async () => {
    server = createServer((req, res) => {
      if (req.url === '/empty') {
        res.writeHead(202).end();
        return;
      }
      res.writeHead(200, { 'content-type': 'text/plain', 'x-kept': 'yes' });
      // Several chunks, so that the limit is met in the middle of the stream.
      for (let i = 0; i < 8; i++) res.write('z'.repeat(1024));
      res.end();
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(() => new Promise((resolve) => server.close(resolve)));

  it('passes a response within the limit through with its status and headers', async () => {
    const response = await boundedFetch(10_000)(`${url}/body`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get('x-kept'), 'yes');
    assert.equal((await response.text()).length, 8 * 1024);
  });

  it('fails reading a body past the limit', async () => {
    const response = await boundedFetch(3000)(`${url}/body`);
    await assert.rejects(response.text(), /more than 3000 bytes in one response/);
  });

  it('leaves a response without a body as it is', async () => {
    const response = await boundedFetch(10)(`${url}/empty`);
    assert.equal(response.status, 202);
    assert.equal(await response.text(), '');
  });
});
