/**
 * Local model servers, found through loopback stand-ins that answer as each real server does:
 * Ollama's `/api/tags`, and the OpenAI `/v1/models` lists of LM Studio, llama.cpp and vLLM.
 */
import * as assert from 'node:assert/strict';
import * as http from 'node:http';
import type { AddressInfo } from 'node:net';
import { findLocalServers, type LocalServerKind } from '../../../src/models/localServers';

type Route = Record<string, { status?: number; body: unknown } | 'hang'>;

const OLLAMA_TAGS = {
  models: [
    {
      name: 'qwen2.5-coder:1.5b',
      model: 'qwen2.5-coder:1.5b',
      modified_at: '2026-05-10T12:04:11.339862211+02:00',
      size: 986061892,
      digest: '6d3abb8d2d53b5b2c1b3a4a5b6c7d8e9f0a1b2c3d4e5f6a7b8c9d0e1f2a3b4c5',
      details: { parent_model: '', format: 'gguf', family: 'qwen2', families: ['qwen2'], parameter_size: '1.5B', quantization_level: 'Q4_K_M' },
    },
    {
      name: 'llama3.2:latest',
      model: 'llama3.2:latest',
      modified_at: '2026-04-02T09:00:00Z',
      size: 2019393189,
      digest: 'a80c4f17acd55265feec403c7aef86be0c25983ab279d83f3bcd3abbcb5b8b72',
      details: { parent_model: '', format: 'gguf', family: 'llama', families: ['llama'], parameter_size: '3.2B', quantization_level: 'Q4_K_M' },
    },
  ],
};

const LM_STUDIO_MODELS = {
  data: [
    { id: 'qwen2.5-coder-7b-instruct', object: 'model', owned_by: 'organization_owner' },
    { id: 'text-embedding-nomic-embed-text-v1.5', object: 'model', owned_by: 'organization_owner' },
  ],
  object: 'list',
};

const LLAMA_CPP_MODELS = {
  models: [{ name: 'qwen2.5-coder-1.5b-q8_0.gguf', model: 'qwen2.5-coder-1.5b-q8_0.gguf', modified_at: '', size: '', digest: '', type: 'model', description: '', tags: [''], capabilities: ['completion'], parameters: '', details: { parent_model: '', format: 'gguf', family: '', families: [''], parameter_size: '', quantization_level: '' } }],
  object: 'list',
  data: [{ id: 'qwen2.5-coder-1.5b-q8_0.gguf', object: 'model', created: 1764620000, owned_by: 'llamacpp', meta: { vocab_type: 2, n_vocab: 151936, n_ctx_train: 32768, n_embd: 1536, n_params: 1543714304, size: 1646568448 } }],
};

const LLAMA_CPP_PROPS = {
  default_generation_settings: { n_ctx: 4096, params: { temperature: 0.8 } },
  total_slots: 1,
  model_path: '/home/user/models/deepseek-coder-1.3b-base.Q4_K_M.gguf',
  chat_template: '',
  build_info: 'b4500-adc2ea40',
};

const VLLM_MODELS = {
  object: 'list',
  data: [
    {
      id: 'Qwen/Qwen2.5-Coder-7B-Instruct',
      object: 'model',
      created: 1764620000,
      owned_by: 'vllm',
      root: 'Qwen/Qwen2.5-Coder-7B-Instruct',
      parent: null,
      max_model_len: 32768,
      permission: [{ id: 'modelperm-1', object: 'model_permission', created: 1764620000, allow_create_engine: false, allow_sampling: true, allow_logprobs: true, allow_search_indices: false, allow_view: true, allow_fine_tuning: false, organization: '*', group: null, is_blocking: false }],
    },
  ],
};

interface StandIn {
  port: number;
  requests: string[];
  close(): Promise<void>;
}

async function standIn(routes: Route): Promise<StandIn> {
  const requests: string[] = [];
  const server = http.createServer((req, res) => {
    requests.push(req.url ?? '');
    const route = routes[req.url ?? ''];
    if (route === 'hang') {
      return;
    }
    if (!route) {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
      return;
    }
    const body = typeof route.body === 'string' ? route.body : JSON.stringify(route.body);
    res.writeHead(route.status ?? 200, { 'content-type': 'application/json' }).end(body);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  return {
    port: (server.address() as AddressInfo).port,
    requests,
    close: () =>
      new Promise((r) => {
        server.closeAllConnections();
        server.close(() => r());
      }),
  };
}

/** A port nothing listens on: one that was just free. */
async function closedPort(): Promise<number> {
  const s = await standIn({});
  await s.close();
  return s.port;
}

describe('local model servers on loopback', function () {
  const started: StandIn[] = [];
  const start = async (routes: Route): Promise<StandIn> => {
    const s = await standIn(routes);
    started.push(s);
    return s;
  };
  let nothing: number;

  before(async () => {
    nothing = await closedPort();
  });

  afterEach(async () => {
    await Promise.all(started.splice(0).map((s) => s.close()));
  });

  /** Every kind on the closed port unless given. */
  const ports = (given: Partial<Record<LocalServerKind, number>>): Record<LocalServerKind, number> => ({ ollama: nothing, lmstudio: nothing, llamacpp: nothing, vllm: nothing, ...given });

  it('finds all four with their models and their OpenAI-compatible API roots', async () => {
    const ollama = await start({ '/api/tags': { body: OLLAMA_TAGS } });
    const lmstudio = await start({ '/v1/models': { body: LM_STUDIO_MODELS } });
    const llamacpp = await start({ '/v1/models': { body: LLAMA_CPP_MODELS } });
    const vllm = await start({ '/v1/models': { body: VLLM_MODELS } });
    const found = await findLocalServers({ ports: { ollama: ollama.port, lmstudio: lmstudio.port, llamacpp: llamacpp.port, vllm: vllm.port } });
    assert.deepEqual(
      found.map((s) => [s.kind, s.label, s.baseUrl]),
      [
        ['ollama', 'Ollama', `http://127.0.0.1:${ollama.port}/v1`],
        ['lmstudio', 'LM Studio', `http://127.0.0.1:${lmstudio.port}/v1`],
        ['llamacpp', "llama.cpp's server", `http://127.0.0.1:${llamacpp.port}/v1`],
        ['vllm', 'vLLM', `http://127.0.0.1:${vllm.port}/v1`],
      ],
    );
    assert.deepEqual(found[0]?.models, [
      { id: 'qwen2.5-coder:1.5b', detail: '1.5B, Q4_K_M, 1.0 GB' },
      { id: 'llama3.2:latest', detail: '3.2B, Q4_K_M, 2.0 GB' },
    ]);
    assert.deepEqual(
      found[1]?.models.map((m) => m.id),
      ['qwen2.5-coder-7b-instruct', 'text-embedding-nomic-embed-text-v1.5'],
    );
    assert.deepEqual(found[2]?.models, [{ id: 'qwen2.5-coder-1.5b-q8_0.gguf', detail: 'context 32768, 1.6 GB' }]);
    assert.deepEqual(found[3]?.models, [{ id: 'Qwen/Qwen2.5-Coder-7B-Instruct', detail: 'context 32768' }]);
    assert.deepEqual([ollama.requests, lmstudio.requests, vllm.requests], [['/api/tags'], ['/v1/models'], ['/v1/models']]);
  });

  it('finds nothing where nothing listens', async () => {
    assert.deepEqual(await findLocalServers({ ports: ports({}) }), []);
  });

  it("falls back to llama.cpp's /props on a server without /v1/models", async () => {
    const old = await start({ '/props': { body: LLAMA_CPP_PROPS } });
    const found = await findLocalServers({ ports: ports({ llamacpp: old.port }) });
    assert.deepEqual(found.map((s) => [s.kind, s.models]), [['llamacpp', [{ id: 'deepseek-coder-1.3b-base.Q4_K_M.gguf', detail: 'context 4096' }]]]);
    assert.deepEqual(old.requests, ['/v1/models', '/props']);
  });

  it('does not take another program on a default port for a model server', async () => {
    const devServer = await start({ '/v1/models': { body: '<!doctype html><title>dev server</title>' }, '/props': { body: '<html></html>' } });
    const otherOpenAi = await start({ '/v1/models': { body: LM_STUDIO_MODELS } });
    const failing = await start({ '/api/tags': { status: 500, body: { error: 'boom' } } });
    const found = await findLocalServers({ ports: ports({ llamacpp: devServer.port, vllm: otherOpenAi.port, ollama: failing.port }) });
    assert.deepEqual(found, [], 'HTML, a list owned by someone else than vLLM, and a 500 are no servers of theirs');
  });

  it('gives up on a server that does not answer, or answers too much', async () => {
    const hanging = await start({ '/api/tags': 'hang' });
    const huge = await start({ '/v1/models': { body: { data: [{ id: 'x'.repeat(4096), object: 'model' }], pad: 'y'.repeat(64 * 1024) } } });
    const found = await findLocalServers({ ports: ports({ ollama: hanging.port, lmstudio: huge.port }), timeoutMs: 300, maxBytes: 16 * 1024 });
    assert.deepEqual(found, []);
  });

  it('cleans the names another program sends: no control characters, bounded length', async () => {
    const hostile = await start({ '/api/tags': { body: { models: [{ model: 'evil\u001b[31m\nname', details: {} }, { model: 'n'.repeat(5000) }, { model: 42 }, 'junk', { model: '' }] } } });
    const [server] = await findLocalServers({ ports: ports({ ollama: hostile.port }) });
    assert.deepEqual(server?.models.map((m) => m.id), ['evil[31mname', 'n'.repeat(200)]);
  });

  it('answers at once with nothing when cancelled before it starts', async () => {
    const ollama = await start({ '/api/tags': { body: OLLAMA_TAGS } });
    const ctl = new AbortController();
    ctl.abort();
    assert.deepEqual(await findLocalServers({ ports: ports({ ollama: ollama.port }), signal: ctl.signal }), []);
  });
});
